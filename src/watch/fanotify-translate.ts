import { joinRel, type RelPath } from '../core/path.js';
import type { FsEvent } from '../core/event.js';
import { isIgnoredWriter, WatchError, type WriterFilter } from './source.js';
import {
  FAN_ATTRIB,
  FAN_CLOSE_WRITE,
  FAN_CREATE,
  FAN_DELETE,
  FAN_MODIFY,
  FAN_MOVED_FROM,
  FAN_MOVED_TO,
  FAN_ONDIR,
  FAN_Q_OVERFLOW,
  FAN_RENAME,
  type DirEntryRef,
  type DirHandle,
  type FanotifyRecord,
} from './sys/fanotify-event.js';

/** Where a directory handle leads now. */
export type Resolved =
  /** Its absolute path (latin1 byte string). */
  | { path: string }
  /** It no longer resolves (the directory was deleted); `lastKnown` is its path when it last did. */
  | { stale: true; lastKnown?: string }
  /**
   * The kernel could not say where it is now, though it may well exist: open_by_handle_at failed
   * with ENOMEM, seen on Linux 6.1 while directories were being renamed (reconnecting the
   * directory's path failed). Nothing names the change, so the whole tree is rescanned.
   */
  | { unresolved: true };

/** Turns directory handles into paths (fanotify.ts: open_by_handle_at with a bounded cache). */
export interface DirResolver {
  resolve(dir: DirHandle): Resolved;
  /** Forgets every cached path: a directory was renamed somewhere on the filesystem. */
  invalidate(): void;
}

export interface FanotifyTranslatorOptions {
  /** Absolute path of the watched root (latin1 byte string, no trailing '/'). */
  root: string;
  isExcluded: (path: RelPath, isDir: boolean) => boolean;
  resolver: DirResolver;
  /** The daemon's own pid: its events are never reported. */
  ownPid: number;
  ignoreWriters?: WriterFilter;
  /** Whether a created path may still be held by its writer (lstat: a regular file with one
   *  link); a create without a close is reported open only then. Default: yes. */
  awaitsClose?: (path: RelPath) => boolean;
}

/** Where an entry of an event lies: in the tree (its RelPath), outside it, or unknown (stale handle). */
type Place = { rel: RelPath } | { outside: true; dirAbs: string } | { stale: true; lastKnownRel?: RelPath };

/**
 * Turns fanotify FID records into FsEvents for one tree (the mark covers the whole filesystem,
 * so the filter to the tree is exact: the root itself or below root + '/').
 *
 * Contract: `translate` appends to `out` in kernel order; per record, a merged mask is reported
 * delete first, then create (closed when CLOSE_WRITE or MOVED_TO is in it), modify (closed when
 * CLOSE_WRITE is in it) and attrib, so a path the kernel folded `create … delete` into is checked
 * on disk downstream rather than guessed. A rename inside the tree is one `move`; half outside it
 * is `delete` or `create`; any directory rename drops the resolver's cache. A handle that no longer
 * resolves is a directory deleted since: when its last path in the tree is known it becomes
 * `overflow` (rescan) of that path, unless that path is excluded (then nothing); otherwise it is
 * counted in `stale` and nothing is reported, because the deletion of that directory's topmost
 * deleted ancestor is itself reported on a parent that still resolves. A handle the kernel could
 * not resolve for now (`unresolved`) becomes `overflow ''`: the whole tree is rescanned. The root deleted or moved
 * away throws a WatchError after the events before it. Calls must not overlap.
 */
export class FanotifyTranslator {
  overflows = 0;
  stale = 0;

  constructor(private readonly o: FanotifyTranslatorOptions) {}

  translate(records: readonly FanotifyRecord[], time: number, out: FsEvent[]): void {
    for (const r of records) {
      if ((r.mask & FAN_Q_OVERFLOW) !== 0) {
        this.overflows++;
        out.push({ kind: 'overflow', path: '', isDir: true, time });
        continue;
      }
      const isDir = (r.mask & FAN_ONDIR) !== 0;
      const dirMove = isDir && (r.mask & (FAN_RENAME | FAN_MOVED_FROM | FAN_MOVED_TO)) !== 0;
      if (r.mask & FAN_RENAME) {
        const from = r.from && this.place(r.from);
        if (from) this.checkRootGone(r.from as DirEntryRef, from);
        if (dirMove) this.o.resolver.invalidate();
        if (r.pid === this.o.ownPid || isIgnoredWriter(this.o.ignoreWriters, { pid: r.pid })) continue;
        const to = r.to && this.place(r.to);
        this.rename(from, to, isDir, r.pid, time, out);
        continue;
      }
      if (!r.entry) continue;
      const place = this.place(r.entry);
      if ((r.mask & (FAN_DELETE | FAN_MOVED_FROM)) !== 0) this.checkRootGone(r.entry, place);
      if (dirMove) this.o.resolver.invalidate();
      if (r.pid === this.o.ownPid || isIgnoredWriter(this.o.ignoreWriters, { pid: r.pid })) continue;
      if ('stale' in place) {
        this.lost(place, isDir, time, out);
        continue;
      }
      if (!('rel' in place) || this.o.isExcluded(place.rel, isDir)) continue;
      const base = { path: place.rel, isDir, pid: r.pid, time };
      if (r.mask & (FAN_DELETE | FAN_MOVED_FROM)) out.push({ kind: 'delete', ...base });
      if (r.mask & (FAN_CREATE | FAN_MOVED_TO)) out.push({ kind: 'create', ...base, ...(isDir ? {} : { closed: this.createdComplete(r.mask, place.rel) }) });
      else if (r.mask & (FAN_MODIFY | FAN_CLOSE_WRITE)) out.push({ kind: 'modify', ...base, closed: (r.mask & FAN_CLOSE_WRITE) !== 0 });
      if (r.mask & FAN_ATTRIB) out.push({ kind: 'attrib', ...base });
    }
  }

  /**
   * A created file is complete unless a writer still holds it: a file moved in, a symlink, a
   * hard link, a device or a path already gone is complete as it stands (as inotify reports
   * them); a new regular file is open until its CLOSE_WRITE, which may be folded into this record.
   */
  private createdComplete(mask: number, rel: RelPath): boolean {
    if ((mask & (FAN_CLOSE_WRITE | FAN_MOVED_TO)) !== 0) return true;
    return !(this.o.awaitsClose?.(rel) ?? true);
  }

  private rename(from: Place | undefined, to: Place | undefined, isDir: boolean, pid: number, time: number, out: FsEvent[]): void {
    const inTree = (p: Place | undefined) => (p && 'rel' in p && !this.o.isExcluded(p.rel, isDir) ? p.rel : undefined);
    const f = inTree(from);
    const t = inTree(to);
    if (f !== undefined && t !== undefined) out.push({ kind: 'move', from: f, path: t, isDir, pid, time });
    else if (f !== undefined) out.push({ kind: 'delete', path: f, isDir, pid, time });
    else if (t !== undefined) out.push({ kind: 'create', path: t, isDir, pid, time });
    if (from && 'stale' in from) this.lost(from, isDir, time, out);
    if (to && 'stale' in to) this.lost(to, isDir, time, out);
  }

  private lost(place: { stale: true; lastKnownRel?: RelPath }, isDir: boolean, time: number, out: FsEvent[]): void {
    if (place.lastKnownRel === undefined) {
      this.stale++;
      return;
    }
    // An excluded path is never reported, not even as a rescan (a build directory removed with
    // events still queued for it would otherwise cost one rescan per event).
    if (this.o.isExcluded(place.lastKnownRel, isDir)) return;
    this.overflows++;
    out.push({ kind: 'overflow', path: place.lastKnownRel, isDir: true, time });
  }

  private place(ref: DirEntryRef): Place {
    const r = this.o.resolver.resolve(ref.dir);
    const self = ref.name === '' || ref.name === '.';
    if ('unresolved' in r) return { stale: true, lastKnownRel: '' };
    if ('stale' in r) {
      const known = r.lastKnown === undefined ? undefined : this.relOf(r.lastKnown);
      return known === undefined ? { stale: true } : { stale: true, lastKnownRel: self ? known : joinRel(known, ref.name) };
    }
    const dir = this.relOf(r.path);
    if (dir === undefined) return { outside: true, dirAbs: r.path };
    return { rel: self ? dir : joinRel(dir, ref.name) };
  }

  /** The tree-relative form of an absolute path, or undefined when it lies outside the tree. */
  private relOf(abs: string): RelPath | undefined {
    const root = this.o.root;
    if (abs === root) return '';
    if (root === '/') return abs.slice(1);
    return abs.startsWith(root + '/') ? abs.slice(root.length + 1) : undefined;
  }

  /** The entry the event names is the root itself (deleted or moved away): its directory was resolved by place(). */
  private checkRootGone(ref: DirEntryRef, place: Place): void {
    if (!('outside' in place)) return;
    if ((place.dirAbs === '/' ? `/${ref.name}` : `${place.dirAbs}/${ref.name}`) === this.o.root)
      throw new WatchError(`the watched directory ${Buffer.from(this.o.root, 'latin1').toString('utf8')} was deleted or moved away`, 'ROOT_GONE');
  }
}
