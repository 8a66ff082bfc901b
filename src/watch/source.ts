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
}

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
