import type { Change } from '../core/change.js';
import { isWithin, parentOf, type RelPath } from '../core/path.js';
import type { FsEvent } from '../core/event.js';

/**
 * A set of pending changes, at most one per path, that events and changes fold into.
 *
 * The same set serves twice: the pipeline folds kernel events into it until they settle, and each
 * replica folds settled changes into its own queue until its next rsync. No I/O, no clock: every
 * time is carried by the events themselves.
 *
 * Set-level rules (beside the per-path table in `foldEvent`):
 *  - a pending recursive sync of a directory covers everything below it: later events below it
 *    only refresh its times (and its `open` flag), they add no entries;
 *  - a recursive sync or a delete of a directory drops the entries below it (they are covered);
 *  - a rename adds a delete at the old path and a change with a rename hint at the new one, and
 *    folds chains (A→B then B→C is A→C with deletes at A and B).
 */
export class ChangeSet {
  private readonly byPath = new Map<RelPath, Change>();
  /** For each pending recursive change: the files below it still being written, each with the time of its last event. */
  private readonly openBelow = new Map<RelPath, Map<RelPath, number>>();

  get size(): number {
    return this.byPath.size;
  }

  get(path: RelPath): Change | undefined {
    return this.byPath.get(path);
  }

  values(): IterableIterator<Change> {
    return this.byPath.values();
  }

  /** Removes and returns the changes `pick` selects (all when omitted). */
  take(pick: (c: Change) => boolean = () => true): Change[] {
    const out: Change[] = [];
    for (const [path, c] of this.byPath) {
      if (pick(c)) {
        out.push(c);
        this.byPath.delete(path);
        this.openBelow.delete(path);
      }
    }
    return out;
  }

  /** The time of the oldest event still pending, or undefined when empty. */
  oldest(): number | undefined {
    let t: number | undefined;
    for (const c of this.byPath.values()) if (t === undefined || c.first < t) t = c.first;
    return t;
  }

  /** Folds one kernel event (the pipeline's entry point). */
  addEvent(ev: FsEvent): void {
    if (ev.kind === 'move' && ev.from !== undefined) {
      const before = this.byPath.get(ev.from);
      this.fold(deletion(ev.from, ev.isDir, ev.time));
      this.fold({
        path: ev.path,
        recursive: ev.isDir,
        isDir: ev.isDir,
        deleted: false,
        // Chain folding: the hint always names what the replica had before (A→B→C is A→C).
        from: before && !before.deleted && before.from !== undefined ? before.from : ev.from,
        first: before?.first ?? ev.time,
        last: ev.time,
        open: before?.open ?? false,
      });
      return;
    }
    // foldEvent already combined the event with the path's pending change: store, don't merge again.
    this.fold(foldEvent(this.byPath.get(ev.path), ev), true);
  }

  /** Folds a change released by another set (a replica queue's entry point). */
  addChange(c: Change): void {
    this.fold(c);
  }

  /** Replaces everything with one recursive sync of the whole tree (overflow, queue cap). */
  collapseToRoot(time: number): void {
    const first = this.oldest() ?? time;
    this.byPath.clear();
    this.openBelow.clear();
    this.byPath.set('', rootSync(first, time));
  }

  private fold(next: Change, combined = false): void {
    const cover = this.coveringTree(next.path);
    if (cover) {
      cover.last = Math.max(cover.last, next.last);
      cover.first = Math.min(cover.first, next.first);
      this.trackOpen(cover, next.path, openState(next), next.last);
      return;
    }
    const prev = this.byPath.get(next.path);
    // Entries are owned by this set: one released change is folded into several replica queues.
    const merged = prev && !combined ? mergeChange(prev, next) : { ...next };
    if (!merged.recursive) this.openBelow.delete(merged.path);
    else this.syncOpen(merged); // an event on the directory itself says nothing about the files below it
    if (merged.recursive || (merged.deleted && merged.isDir)) this.absorbBelow(merged);
    this.byPath.set(merged.path, merged);
  }

  /**
   * A recursive change is `open` exactly while some file below it is: opened by a write, closed
   * by its close or its delete (or the delete of a directory holding it). `openLast` is the last
   * event of any of those files: settle holds the tree until they have been quiet for
   * `stableFor`, as it holds an open file of its own, so a close the source never reports (a
   * hard link's create, a missed event) delays the tree by `stableFor`, not until `maxHold`.
   */
  private trackOpen(cover: Change, path: RelPath, state: 'open' | 'closed' | 'dir-gone', time: number): void {
    let open = this.openBelow.get(cover.path);
    if (state === 'open') {
      (open ??= new Map()).set(path, Math.max(time, open.get(path) ?? time));
      this.openBelow.set(cover.path, open);
      cover.open = true;
      cover.openLast = Math.max(cover.openLast ?? time, time); // O(1) on the hot path: a burst below one tree
      return;
    }
    if (!open) return this.syncOpen(cover);
    // A file's close recomputes the latest time only when that file held it.
    let stale = false;
    if (state === 'dir-gone') {
      for (const [p, at] of open) if (isWithin(p, path) && open.delete(p)) stale ||= at >= (cover.openLast ?? 0);
    } else {
      const at = open.get(path);
      stale = open.delete(path) && (at ?? 0) >= (cover.openLast ?? 0);
    }
    if (open.size === 0) this.openBelow.delete(cover.path);
    if (stale || open.size === 0) this.syncOpen(cover);
  }

  /** Sets a recursive change's `open` and `openLast` from the files held open below it. */
  private syncOpen(cover: Change): void {
    const open = this.openBelow.get(cover.path);
    cover.open = open !== undefined;
    if (!open) {
      delete cover.openLast;
      return;
    }
    let last = -Infinity;
    for (const at of open.values()) last = Math.max(last, at);
    cover.openLast = last;
  }

  /** The pending recursive sync of a strict ancestor of `path`, if any. */
  private coveringTree(path: RelPath): Change | undefined {
    if (path === '') return undefined;
    let dir = path;
    // Bounded by the path's depth.
    for (;;) {
      dir = parentOf(dir);
      const c = this.byPath.get(dir);
      if (c && c.recursive && !c.deleted) return c;
      if (dir === '') return undefined;
    }
  }

  /** Drops the entries below `c` (now covered by it), keeping their age and open writers. */
  private absorbBelow(c: Change): void {
    if (this.byPath.size === 0) return;
    for (const [p, below] of this.byPath) {
      if (p === c.path || !isWithin(p, c.path)) continue;
      c.first = Math.min(c.first, below.first);
      if (c.recursive) {
        this.trackOpen(c, below.path, openState(below), below.last);
        for (const [q, at] of this.openBelow.get(p) ?? []) this.trackOpen(c, q, 'open', at);
      }
      this.byPath.delete(p);
      this.openBelow.delete(p);
    }
  }
}

/**
 * The per-path table: what one event does to the pending change of its path.
 *
 * | previous \ event | create                  | modify                  | attrib        | delete        |
 * |------------------|-------------------------|-------------------------|---------------|---------------|
 * | none             | write (dir: recursive)  | write, open unless closed | write       | delete        |
 * | write            | write (dir: recursive)  | write, open unless closed | write, open kept | delete     |
 * | recursive        | recursive               | recursive               | recursive     | delete        |
 * | delete           | write (dir: recursive)  | write                   | write         | delete        |
 * | renamed here     | (not possible)          | renamed, open unless closed | renamed   | delete (hint dropped) |
 *
 * create+delete is a delete, not nothing: a sync already in flight (a recursive one, or the
 * initial sync) may have copied the short-lived path, and the delete is what removes it again.
 * `overflow` is a recursive sync of the directory to rescan.
 */
export function foldEvent(prev: Change | undefined, ev: FsEvent): Change {
  const first = prev?.first ?? ev.time;
  const base = { path: ev.path, first, last: ev.time };
  switch (ev.kind) {
    case 'create':
      return {
        ...base,
        isDir: ev.isDir,
        recursive: ev.isDir,
        deleted: false,
        // A regular file is created open (its close follows); a symlink or a moved-in file is complete.
        open: !ev.isDir && ev.closed === false,
        closeUnknown: ev.closed === undefined ? true : undefined,
      };
    case 'modify':
    case 'attrib': {
      const open =
        ev.kind === 'attrib' ? (prev?.open ?? false) : ev.closed === undefined ? true : !ev.closed;
      const keepPrev = prev !== undefined && !prev.deleted;
      return {
        ...base,
        isDir: ev.isDir,
        recursive: keepPrev ? prev.recursive : false,
        deleted: false,
        from: keepPrev ? prev.from : undefined,
        open: !ev.isDir && open,
        // A modify says whether the source knows about closes; an attrib says nothing about it.
        closeUnknown: ev.kind === 'modify' ? (ev.closed === undefined ? true : undefined) : prev?.closeUnknown,
      };
    }
    case 'delete':
      return deletion(ev.path, ev.isDir, ev.time, first);
    case 'overflow':
      return { ...base, isDir: true, recursive: true, deleted: false, open: false };
    case 'move':
      // A move without `from` is malformed; treat it as what it surely is: something at `path`.
      return { ...base, isDir: ev.isDir, recursive: ev.isDir, deleted: false, open: false };
  }
}

/** Folds a later change into an earlier one for the same path (used by replica queues and renames). */
export function mergeChange(prev: Change, next: Change): Change {
  const first = Math.min(prev.first, next.first);
  const last = Math.max(prev.last, next.last);
  if (next.deleted) return { ...next, first, last, recursive: false, from: undefined, open: false };
  // A rename onto the path replaces whatever was pending there.
  if (next.from !== undefined) return { ...next, first, last };
  const sameDirKept = !prev.deleted && prev.isDir && next.isDir;
  return {
    ...next,
    first,
    last,
    recursive: next.recursive || (sameDirKept && prev.recursive),
    from: prev.deleted ? undefined : prev.from,
  };
}

/** What a change below a recursive one means for the files held open below it. */
function openState(c: Change): 'open' | 'closed' | 'dir-gone' {
  if (c.open && !c.deleted && !c.isDir) return 'open';
  return c.deleted && c.isDir ? 'dir-gone' : 'closed';
}

function deletion(path: RelPath, isDir: boolean, time: number, first = time): Change {
  return { path, isDir, recursive: false, deleted: true, first, last: time, open: false };
}

export function rootSync(first: number, last: number): Change {
  return { path: '', isDir: true, recursive: true, deleted: false, first, last, open: false };
}
