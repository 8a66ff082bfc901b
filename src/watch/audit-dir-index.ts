import { isWithin, type RelPath } from '../core/path.js';

/**
 * Directory identity → path below the root (pure). Audit names a dirfd-relative parent by its
 * inode only (the record's `name=` then shows the process's cwd), so the linux-audit source keeps
 * every directory of the tree here, keyed as the PATH record prints it: `dev=fe:00 inode=2163220`
 * → `fe:00:2163220`. Filled by the start walk and kept current from the events themselves.
 */
export class DirIndex {
  readonly #byId = new Map<string, RelPath>();
  readonly #byPath = new Map<RelPath, string>();

  get size(): number {
    return this.#byId.size;
  }

  get(id: string): RelPath | undefined {
    return this.#byId.get(id);
  }

  set(id: string, path: RelPath): void {
    const old = this.#byPath.get(path);
    if (old !== undefined) this.#byId.delete(old);
    const oldPath = this.#byId.get(id);
    if (oldPath !== undefined) this.#byPath.delete(oldPath);
    this.#byId.set(id, path);
    this.#byPath.set(path, id);
  }

  /** Forgets `path` and everything below it. */
  delete(path: RelPath): void {
    for (const [p, id] of this.#byPath) {
      if (isWithin(p, path) && !(path === '' && p !== '')) {
        this.#byPath.delete(p);
        this.#byId.delete(id);
      }
    }
  }

  /** `from` and its subtree now live at `to`. */
  move(from: RelPath, to: RelPath): void {
    const moved: Array<[string, RelPath]> = [];
    for (const [p, id] of this.#byPath) {
      if (p === from || p.startsWith(from + '/')) moved.push([id, to + p.slice(from.length)]);
    }
    this.delete(to);
    for (const [id] of moved) {
      const p = this.#byId.get(id);
      if (p !== undefined) this.#byPath.delete(p);
      this.#byId.delete(id);
    }
    for (const [id, p] of moved) this.set(id, p);
  }
}

/** The key of a directory from lstat's bigint dev and ino, as audit prints them (`%02x:%02x`, `%lu`). */
export function dirId(dev: bigint, ino: bigint): string {
  const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
  const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
  const hex = (n: bigint): string => n.toString(16).padStart(2, '0');
  return `${hex(major)}:${hex(minor)}:${ino}`;
}
