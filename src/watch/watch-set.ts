import { joinRel, type RelPath } from '../core/path.js';
import { walkDirs, type ReaddirFns } from './dir-walk.js';
import { ELOOP, ENOENT, ENOTDIR, errnoName } from './sys/errno.js';
import type { InotifyFfi } from './sys/inotify-ffi.js';
import { DIR_WATCH_MASK, IN_DONT_FOLLOW, IN_MASK_ADD } from './sys/inotify-event.js';
import { isAncestorOrSelf, WatchTree, type WatchNode } from './watch-tree.js';

/** A system call failed in a way the caller must turn into a WatchError (ENOSPC, EACCES, ...). */
export class SysCallError extends Error {
  override readonly name = 'SysCallError';
  constructor(
    readonly call: string,
    readonly errno: number,
    readonly path: RelPath,
  ) {
    super(`${call}(${path === '' ? '<root>' : path}): ${errnoName(errno)}`);
  }
}

export interface WatchSetOptions {
  ffi: InotifyFfi;
  /** The inotify instance. */
  fd: number;
  /** Absolute path of the watched root. */
  root: string;
  isExcluded: (path: RelPath, isDir: boolean) => boolean;
  /** Directories listed per turn of the event loop during a walk (dir-walk.ts). */
  sliceDirs: number;
  readdir?: ReaddirFns;
  /** Stops walks early (the source is closing). */
  abort?: () => Error | undefined;
}

type WalkMode = 'new' | 'reconcile';

/** add_watch failures that mean "that directory is gone or was replaced": its own events follow. */
function vanished(errno: number): boolean {
  return errno === ENOENT || errno === ENOTDIR || errno === ELOOP;
}

/**
 * The inotify watches of one tree: adds and removes kernel watches and keeps the WatchTree in
 * step. Methods run on the main thread and must not overlap (the source calls them from one
 * sequential loop). Every directory is watched *before* it is listed, so an entry created
 * after the listing produces its own event. Failures other than "vanished" throw SysCallError.
 */
export class WatchSet {
  readonly tree = new WatchTree();
  readonly #o: WatchSetOptions;
  readonly #rootBytes: Buffer;

  constructor(options: WatchSetOptions) {
    this.#o = options;
    const root = options.root.length > 1 ? options.root.replace(/\/+$/, '') : options.root;
    this.#rootBytes = Buffer.from(root === '/' ? '' : root);
  }

  /** Watches the root and everything below it. */
  async watchRoot(): Promise<void> {
    // No IN_DONT_FOLLOW on the root: a root given as a symlink is followed, as rsync does with 'root/'.
    const wd = this.#add('', DIR_WATCH_MASK & ~IN_DONT_FOLLOW);
    if (wd < 0) throw new SysCallError('inotify_add_watch', -wd, '');
    await this.#walk([this.tree.setRoot(wd)], 'new');
  }

  /**
   * Watches the new directory `parent/name` and, if it was not watched yet, its whole subtree.
   * Returns undefined when it vanished meanwhile.
   */
  async watchNew(parent: WatchNode, name: RelPath): Promise<WatchNode | undefined> {
    // Events are handled after the fact: when a move of the parent is still queued, its path in
    // the tree is stale and `parent.path/name` is not this directory. Then list the parent again
    // once that move re-keys it, which finds this directory where it is.
    if (!this.#stillAt(parent)) {
      parent.incomplete = true;
      return undefined;
    }
    const wd = this.#add(joinRel(parent.path, name), DIR_WATCH_MASK);
    if (wd < 0) {
      if (!vanished(-wd)) throw new SysCallError('inotify_add_watch', -wd, joinRel(parent.path, name));
      parent.incomplete = true; // gone since (its own event follows), or moved with the parent just now
      return undefined;
    }
    return this.#attachAndWalk(parent, name, wd);
  }

  /**
   * A directory moved inside the tree: re-key its subtree (its watches follow the inode).
   * Events are handled after the fact, so the name may since have been reused; the inode now at
   * the destination decides (inotify_add_watch returns its existing wd): when it is not the node
   * the tree has at the old name, that node stays where it is and the destination is attached on
   * its own (re-keyed if watched elsewhere, walked if new).
   */
  async move(fromParent: WatchNode, fromName: RelPath, toParent: WatchNode, toName: RelPath): Promise<void> {
    const to = joinRel(toParent.path, toName);
    const wd = this.#add(to, DIR_WATCH_MASK);
    const node = this.tree.child(fromParent, fromName);
    if (wd < 0) {
      if (!vanished(-wd)) throw new SysCallError('inotify_add_watch', -wd, to);
      // Gone again already (its next event sets things right), or toParent's path is stale
      // (as in watchNew). Best guess meanwhile: it moved.
      toParent.incomplete = true;
      if (node && !isAncestorOrSelf(node, toParent)) {
        const { detached, incomplete } = this.tree.move(node, toParent, toName);
        this.#drop(detached);
        if (incomplete.length > 0) await this.#walk(incomplete, 'new');
      }
      return;
    }
    if (node && node.wd === wd && !isAncestorOrSelf(node, toParent)) {
      const { detached, incomplete } = this.tree.move(node, toParent, toName);
      this.#drop(detached);
      if (incomplete.length > 0) await this.#walk(incomplete, 'new');
      return;
    }
    await this.#attachAndWalk(toParent, toName, wd);
  }

  /** Stops watching `node` and its subtree (moved out of the tree, deleted, or lost). */
  unwatch(node: WatchNode): void {
    this.#drop(this.tree.detach(node));
  }

  unwatchChild(parent: WatchNode, name: RelPath): void {
    const node = this.tree.child(parent, name);
    if (node) this.unwatch(node);
  }

  /** Walks the whole tree again: watches what is missing, re-keys what moved, drops what is gone. */
  async reconcile(): Promise<void> {
    const root = this.tree.root;
    if (root) await this.#walk([root], 'reconcile');
  }

  /** Best effort: the kernel may have removed the watch already (EINVAL). */
  rmWatch(wd: number): void {
    this.#o.ffi.inotifyRmWatch(this.#o.fd, wd);
  }

  /** Counts the directories that need a watch (root included), without watching them. */
  async countWatchable(): Promise<number> {
    let count = 1;
    await walkDirs<RelPath>({
      roots: [''],
      absPath: (rel) => this.#absPath(rel, false),
      visit: (dir, subdirs) => {
        const next: RelPath[] = [];
        for (const name of subdirs) {
          const rel = joinRel(dir, name);
          if (!this.#o.isExcluded(rel, true)) next.push(rel);
        }
        count += next.length;
        return next;
      },
      sliceDirs: this.#o.sliceDirs,
      readdir: this.#o.readdir,
    });
    return count;
  }

  /** NUL-terminated (for the kernel) or plain (for fs) absolute path of `rel`, as bytes. */
  #absPath(rel: RelPath, nul: boolean): Buffer {
    const root = this.#rootBytes; // '' when the root is '/'
    if (root.length === 0 && rel === '') return Buffer.from(nul ? '/\0' : '/', 'latin1');
    const len = root.length + (rel === '' ? 0 : 1 + rel.length);
    const buf = Buffer.allocUnsafe(len + (nul ? 1 : 0));
    root.copy(buf, 0);
    if (rel !== '') {
      buf[root.length] = 0x2f; // '/'
      buf.write(rel, root.length + 1, 'latin1');
    }
    if (nul) buf[len] = 0;
    return buf;
  }

  /**
   * True when `node.path` still leads to the inode `node` watches (inotify_add_watch returns the
   * existing wd of a watched inode). A watch this creates on some other inode is removed again
   * unless the tree knows it: that directory's own event will attach it.
   */
  #stillAt(node: WatchNode): boolean {
    const mask = node === this.tree.root ? DIR_WATCH_MASK & ~IN_DONT_FOLLOW : DIR_WATCH_MASK;
    const wd = this.#add(node.path, mask);
    if (wd === node.wd) return true;
    if (wd >= 0 && !this.tree.byWd(wd)) this.rmWatch(wd);
    return false;
  }

  /**
   * Adds a watch, or returns the wd of the one the inode already has. Always with IN_MASK_ADD:
   * without it, inotify_add_watch on a watched inode *replaces* the mask — the kernel zeroes it,
   * then sets it — and an event that arrives in between is dropped without an overflow. Measured
   * here: re-adding the watch of a directory while 5,000 subdirectories were created in it lost
   * 1 to 4 IN_CREATE per run; with IN_MASK_ADD none in 8 runs. Our masks never change, so
   * adding is the same as replacing.
   */
  #add(rel: RelPath, mask: number): number {
    return this.#o.ffi.inotifyAddWatch(this.#o.fd, this.#absPath(rel, true), mask | IN_MASK_ADD);
  }

  /** Attaches `parent/name` as `wd`; walks it when new (or the parts of it never listed). */
  async #attachAndWalk(parent: WatchNode, name: RelPath, wd: number): Promise<WatchNode | undefined> {
    const res = this.tree.attach(parent, name, wd);
    if (!res) return undefined;
    this.#drop(res.detached);
    const toList = res.fresh ? [res.node] : res.incomplete;
    if (toList.length > 0) await this.#walk(toList, 'new');
    return res.node;
  }

  #drop(nodes: WatchNode[]): void {
    for (const n of nodes) this.rmWatch(n.wd);
  }

  #walk(nodes: WatchNode[], mode: WalkMode): Promise<void> {
    const { tree } = this;
    return walkDirs<WatchNode>({
      roots: nodes,
      absPath: (node) => this.#absPath(node.path, false),
      gone: (node) => {
        node.incomplete = true;
      },
      visit: (node, subdirs) => {
        if (!tree.has(node)) return [];
        // The listing ran on the worker pool while events may have moved the directory: trust it
        // only if the path still leads to the watched inode, else list it again once re-keyed.
        if (!this.#stillAt(node)) {
          node.incomplete = true;
          return [];
        }
        node.incomplete = false;
        const next: WatchNode[] = [];
        const seen = mode === 'reconcile' ? new Set<RelPath>() : undefined;
        for (const name of subdirs) {
          const rel = joinRel(node.path, name);
          if (this.#o.isExcluded(rel, true)) continue;
          const wd = this.#add(rel, DIR_WATCH_MASK);
          if (wd < 0) {
            if (!vanished(-wd)) throw new SysCallError('inotify_add_watch', -wd, rel);
            node.incomplete = true; // gone, or this directory moved meanwhile (see watchNew)
            seen?.add(name); // keep a known child: whatever happened to it, its events follow
            continue;
          }
          const res = tree.attach(node, name, wd);
          if (!res) continue;
          seen?.add(name);
          this.#drop(res.detached);
          if (res.fresh || mode === 'reconcile') next.push(res.node);
          else next.push(...res.incomplete);
        }
        if (seen && node.children) {
          for (const [name, child] of [...node.children]) if (!seen.has(name)) this.unwatch(child);
        }
        return next;
      },
      sliceDirs: this.#o.sliceDirs,
      readdir: this.#o.readdir,
      abort: this.#o.abort,
    });
  }
}
