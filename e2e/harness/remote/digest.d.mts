/** Types of digest.mjs (the tree oracle's one digest); see its header for the fields. */

export interface DigestRequest {
  /** The tree to digest (UTF-8 path). */
  readonly root: string;
  /** 'full' also returns the entries. Default 'summary'. */
  readonly mode?: 'full' | 'summary';
  /** Which mtimes count: files and symlinks (default), also directories ('all'), or none. */
  readonly mtime?: 'files' | 'all' | 'none';
  /** Compare uid/gid too. Default false. */
  readonly owner?: boolean;
  /** Regex sources matched against the escaped relative path; a match skips the path and all below it. */
  readonly exclude?: readonly string[];
}

/** One path of a tree. */
export interface DigestEntry {
  /** Path relative to the root, hex-escaped (`\xNN` for non-printable or non-ASCII bytes). */
  readonly p: string;
  readonly t: 'f' | 'd' | 'l' | 'o';
  readonly m: number;
  readonly s?: number;
  readonly mt?: number;
  readonly u?: number;
  readonly g?: number;
  readonly h?: string;
  readonly l?: string;
}

export interface DigestAnswer {
  readonly root: string;
  readonly count: number;
  /** Hash over all entries: equal hashes ⇔ equal trees (for the options used). */
  readonly hash: string;
  /** Paths that disappeared while being digested (a tree still changing). */
  readonly vanished: number;
  /** With mode 'full' only. */
  readonly entries?: readonly DigestEntry[];
}

export function digest(req: DigestRequest): DigestAnswer;
export const main: typeof digest;
/** A path (raw bytes, or a latin1 byte string) as entries show it. */
export function escapePath(path: Buffer | string): string;
/** The raw bytes of an escaped path. */
export function unescapePath(p: string): Buffer;
