import type { RelPath } from './path.js';

/**
 * One path's pending work, after combining all of its events (see combine.ts).
 *
 * The design rests on one property of rsync with `--files-from --delete-missing-args`: naming a
 * path makes the replica match the source *as it is when rsync runs* — sent if it exists, deleted
 * if it is gone. So a Change says *which* paths to look at and how (recursively or not); the
 * file system at send time says what to do with them. That makes combining forgiving: a stale
 * guess about a path's type or existence is corrected by rsync, never replicated.
 */
export interface Change {
  path: RelPath;
  /** Sync the whole subtree below `path` (with --delete), not just the entry itself. */
  recursive: boolean;
  /** The last known type of the path on the source (for a deleted path: what it was). */
  isDir: boolean;
  /** The last event said the path is gone. */
  deleted: boolean;
  /** Rename hint: the path was moved here from `from`; a replica that can rename does so first. */
  from?: RelPath;
  /** Time (ms) of the first and of the last event folded into this change. */
  first: number;
  last: number;
  /** Written and not (yet) closed by its writer: settle waits for it to be stable. For a
   *  recursive change: some file below it is (combine.ts tracks which). */
  open: boolean;
  /** For an open recursive change: the time of the last event of a file below it still open. */
  openLast?: number;
  /** The source cannot tell when writers close (audit); settle uses the span of events instead. */
  closeUnknown?: boolean;
}

/** What a replica runs for one batch; produced by plan.ts from the changes it has queued. */
export interface Batch {
  /**
   * Renames to try first, in order. A replica that cannot rename skips them: each `to` is also
   * in `writes` or `trees` and each `from` in `deletes`, so the batch is complete without them.
   */
  moves: Move[];
  /** Recursive syncs with --delete (new or moved-in directories, rescans); outermost only; '' = whole tree. */
  trees: RelPath[];
  /** Files and symlinks to sync. Sorted, unique. */
  writes: RelPath[];
  /** Directories whose own attributes changed: synced without recursing into them. Sorted. */
  dirs: RelPath[];
  /** Paths gone from the source; run after the writes (so renamed files can serve as --fuzzy basis). */
  deletes: RelPath[];
  /** Number of changes folded into this batch. */
  changes: number;
  /** Time (ms) of the oldest event covered: the batch's lag is measured from it. */
  oldest: number;
}

export interface Move {
  from: RelPath;
  to: RelPath;
  isDir: boolean;
}
