/**
 * The vocabulary every stage shares: what a source reports and what the pipeline hands on.
 *
 * Paths are *byte strings*: the raw bytes of a path relative to the watched root, decoded as
 * latin1 so that every byte maps to exactly one char (0..255). This keeps non-UTF-8 names
 * byte-exact through the whole daemon; convert with `toBytes`/`fromBytes` at the edges (fs calls,
 * rsync's stdin, logs). The root itself is '' ; there is never a leading or trailing '/'.
 */
export type RelPath = string;

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
  /** When the event was observed, in ms from the clock the source was given. */
  time: number;
}

export function toBytes(p: RelPath): Buffer {
  return Buffer.from(p, 'latin1');
}

export function fromBytes(b: Buffer): RelPath {
  return b.toString('latin1');
}

/** For logs and messages only: the path as UTF-8 text (invalid bytes become U+FFFD). */
export function displayPath(p: RelPath): string {
  return Buffer.from(p, 'latin1').toString('utf8');
}

/** True when `p` is `dir` itself or lies below it. '' is the root and contains everything. */
export function isWithin(p: RelPath, dir: RelPath): boolean {
  return dir === '' || p === dir || p.startsWith(dir + '/');
}

export function parentOf(p: RelPath): RelPath {
  const i = p.lastIndexOf('/');
  return i < 0 ? '' : p.slice(0, i);
}

export function joinRel(dir: RelPath, name: RelPath): RelPath {
  return dir === '' ? name : `${dir}/${name}`;
}
