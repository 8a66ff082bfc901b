import { readdir as fsReaddir, type Dirent } from 'node:fs';
import type { RelPath } from '../core/path.js';

/** fs.readdir with Buffer names; a parameter so tests can inject failures. */
export type ReaddirFn = (
  path: Buffer,
  options: { withFileTypes: true; encoding: 'buffer' },
  callback: (err: NodeJS.ErrnoException | null, entries: Dirent<Buffer>[]) => void,
) => void;

export const defaultReaddir: ReaddirFn = (path, options, callback) => fsReaddir(path, options, callback);

export interface DirWalk<T> {
  /** Directories to list first. */
  roots: T[];
  /** The absolute path of a directory to list (Buffer: names need not be UTF-8). */
  absPath(item: T): Buffer;
  /**
   * Called with the names (byte strings) of the item's subdirectories, symlinks excluded.
   * Returns the subdirectories to list next. May throw to stop the walk.
   */
  visit(item: T, subdirs: RelPath[]): T[];
  /** The listing failed with ENOENT/ENOTDIR (the directory moved or vanished). Default: ignored. */
  gone?(item: T): void;
  /** How many readdir calls may be in flight at once. */
  concurrency: number;
  readdir?: ReaddirFn;
  /** Checked before each listing; when it returns an error, the walk rejects with it. */
  abort?(): Error | undefined;
}

const OPTIONS = { withFileTypes: true, encoding: 'buffer' } as const;

/**
 * Lists a directory tree with at most `concurrency` readdir calls in flight, depth first,
 * with plain callbacks (no Promise per directory: this walks 100,000 directories at start).
 * Never follows symlinks (Dirent types come from lstat semantics). Resolves once every listing
 * has been visited; rejects with the first error thrown by `visit`, a listing error other than
 * ENOENT/ENOTDIR, or `abort()`.
 */
export function walkDirs<T>(walk: DirWalk<T>): Promise<void> {
  const readdir = walk.readdir ?? defaultReaddir;
  const stack: T[] = [...walk.roots];
  let inFlight = 0;
  let failed = false;

  return new Promise<void>((resolve, reject) => {
    const fail = (err: unknown): void => {
      if (failed) return;
      failed = true;
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const pump = (): void => {
      if (failed) return;
      while (inFlight < walk.concurrency && stack.length > 0) {
        const aborted = walk.abort?.();
        if (aborted) return fail(aborted);
        const item = stack.pop() as T;
        inFlight++;
        readdir(walk.absPath(item), OPTIONS, (err, entries) => {
          inFlight--;
          if (failed) return;
          try {
            if (err) {
              if (err.code !== 'ENOENT' && err.code !== 'ENOTDIR') throw err;
              walk.gone?.(item);
            } else {
              const subdirs: RelPath[] = [];
              for (const e of entries) if (e.isDirectory()) subdirs.push(e.name.toString('latin1'));
              for (const next of walk.visit(item, subdirs)) stack.push(next);
            }
          } catch (e) {
            return fail(e);
          }
          pump();
        });
      }
      if (inFlight === 0 && stack.length === 0) resolve();
    };
    pump();
  });
}
