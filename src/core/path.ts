/**
 * Paths as every layer sees them.
 *
 * A RelPath is a *byte string*: the raw bytes of a path relative to the watched root, decoded as
 * latin1 so that every byte maps to exactly one char (0..255). This keeps non-UTF-8 names
 * byte-exact through the whole daemon; convert with `toBytes`/`fromBytes` at the edges (fs calls,
 * rsync's stdin, logs). The root itself is '' ; there is never a leading or trailing '/'.
 */
export type RelPath = string;

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

/** Byte order (paths are latin1 byte strings), so rsync sees parents before children. */
export function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A byte-string path as the bytes of `base/rel` (`base` is a UTF-8 text path); '' is `base`. */
export function joinBytes(base: string, rel: RelPath): Buffer {
  const b = Buffer.from(base, 'utf8');
  if (rel === '') return b;
  const sep = b.length > 0 && b[b.length - 1] === 0x2f ? [] : [Buffer.from('/')];
  return Buffer.concat([b, ...sep, Buffer.from(rel, 'latin1')]);
}

/** The parent of a byte path (everything before the last '/'), or undefined at the top. */
export function parentBytes(p: Buffer): Buffer | undefined {
  const i = p.lastIndexOf(0x2f);
  return i <= 0 ? undefined : p.subarray(0, i);
}
