import type { Clock } from '../core/clock.js';
import type { FsEvent } from '../core/event.js';
import type { RelPath } from '../core/path.js';

/**
 * An event source watches one directory tree and reports every change below it.
 *
 * Contract (every implementation: inotify, fanotify, linux-audit, bsm-audit, poll):
 *  - `start()` sets every watch the tree needs and resolves only then: every change made after
 *    it resolves is reported. It rejects with a `WatchError` whose message names the cause and
 *    the fix (e.g. the inotify watch limit). Excluded directories are never watched.
 *  - `events()` yields batches of events in the order the kernel reported them. It is consumed
 *    by exactly one reader; it ends after `close()`. A runtime failure that would lose events
 *    (e.g. ENOSPC on a new directory's watch) is thrown from the iterator as a `WatchError`.
 *  - Nothing is ever dropped silently: a kernel queue overflow, a lost watch or anything the
 *    source cannot account for becomes an `overflow` event for the directory to rescan
 *    ('' = the whole root).
 *  - A new directory (created, or moved in from outside) is watched, and its subtree below it
 *    too, before the source reports it; the pipeline then syncs it recursively, which covers
 *    anything written into it before its watch existed.
 *  - Renames inside the tree are reported as one `move` event (from, path). A half whose other
 *    half is outside the tree becomes `delete` (moved out) or `create` (moved in).
 *  - `close()` is idempotent and resolves once the kernel resources are released.
 *  - Sources that know the writer (fanotify, linux-audit, bsm-audit) stamp `pid`/`uid`/`exe` on
 *    the events, never report the daemon's own process (its own reads and handle lookups cause
 *    events), and drop what `ignoreWriters` names (a mesh node's receivers).
 *  - A source that cannot run on this machine (no privilege, kernel or filesystem support)
 *    rejects `start()` with a WatchError of code `UNSUPPORTED` whose message says why; `auto`
 *    (watch/select.ts) then takes the next source.
 */
export interface EventSource {
  start(): Promise<void>;
  events(): AsyncIterable<FsEvent[]>;
  close(): Promise<void>;
  /** Counters for status and logs. */
  stats(): SourceStats;
}

export interface SourceStats {
  /** Directories currently watched. */
  watches: number;
  /** Overflow/rescan signals emitted since start. */
  overflows: number;
}

export interface SourceOptions {
  /** Absolute path of the tree to watch. */
  root: string;
  /** True for paths that must not be watched or reported (rsync-style excludes, resolved by the caller). */
  isExcluded: (path: RelPath, isDir: boolean) => boolean;
  /** Stamps the events' `time`; default: the real clock. */
  clock?: Clock;
  /** Writers whose changes are not reported, for sources that know the writer (see above). */
  ignoreWriters?: WriterFilter;
}

/** Writers to ignore: any event whose writer matches one field is dropped. */
export interface WriterFilter {
  pids?: readonly number[];
  uids?: readonly number[];
  /** Absolute program paths (e.g. /usr/bin/rsync), as the kernel reports them. */
  exes?: readonly string[];
}

/** True when the event's writer is named by `f` (events without writer information never are). */
export function isIgnoredWriter(f: WriterFilter | undefined, w: { pid?: number; uid?: number; exe?: string }): boolean {
  if (!f) return false;
  return (
    (w.pid !== undefined && (f.pids?.includes(w.pid) ?? false)) ||
    (w.uid !== undefined && (f.uids?.includes(w.uid) ?? false)) ||
    (w.exe !== undefined && (f.exes?.includes(w.exe) ?? false))
  );
}

/** The code of the WatchError a source throws from start() where it cannot run. */
export const UNSUPPORTED = 'UNSUPPORTED';

/** A watch could not be set up or kept; `message` says why and what to do. */
export class WatchError extends Error {
  override readonly name = 'WatchError';
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}
