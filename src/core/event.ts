import type { RelPath } from './path.js';

/** What an event source reports (watch/source.ts states the contract). */
export type EventKind = 'create' | 'modify' | 'delete' | 'move' | 'attrib' | 'overflow';

export interface FsEvent {
  kind: EventKind;
  /** The path the event is about; for `move` the destination; for `overflow` the directory to rescan ('' = root). */
  path: RelPath;
  /** For `move` only: the source path. */
  from?: RelPath;
  isDir: boolean;
  /**
   * What the source knows about the writer having finished:
   *  - `true`  the writer closed the file after writing (inotify IN_CLOSE_WRITE);
   *  - `false` the file was written and is (as far as the source knows) still open;
   *  - absent  the source cannot tell (audit sources): settle falls back to quiet time.
   */
  closed?: boolean;
  /** The writing process and user, when the source knows them (fanotify, audit). */
  pid?: number;
  uid?: number;
  /** The writing program's path, when the source knows it (audit sources). */
  exe?: string;
  /** When the event was observed, in ms from the daemon's clock. */
  time: number;
}
