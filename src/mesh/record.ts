import { compareBytes, type RelPath } from '../core/path.js';
import type { VersionVector } from './version.js';

/** What a path is on one node: enough to tell a new version from the one recorded (no hashes). */
export type PathState =
  | { type: 'file'; size: number; /** ns since the epoch, as a decimal string */ mtimeNs: string; mode: number }
  | { type: 'dir'; mode: number }
  | { type: 'symlink'; /** the link's target, a latin1 byte string */ target: string };

/**
 * A node's knowledge of one path: its version (vector), who made that version, and the state it
 * had. A record without `state` is a tombstone: the version that deleted the path. Tombstones
 * expire (`at` + tombstoneTtl), so the database does not grow with every name ever deleted.
 */
export interface PathRecord {
  state?: PathState;
  vv: VersionVector;
  /** The node whose change made this version (for conflict copies and tie-breaks). */
  origin: string;
  /** ms when this node recorded it. */
  at: number;
}

/**
 * True when the two states are the same version as far as a change source can tell: a
 * directory by its mode (its mtime moves with every child), a symlink by its target, a file by
 * size, mtime (to the nanosecond, as rsync preserves it) and mode.
 */
export function sameState(a: PathState | undefined, b: PathState | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.type !== b.type) return false;
  switch (a.type) {
    case 'dir':
      return a.mode === (b as typeof a).mode;
    case 'symlink':
      return a.target === (b as typeof a).target;
    case 'file': {
      const f = b as typeof a;
      return a.size === f.size && a.mtimeNs === f.mtimeNs && a.mode === f.mode;
    }
  }
}

/** The same content (a file's size and mtime, a link's target, a directory): mode aside. */
export function sameContent(a: PathState, b: PathState): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'file') return a.size === (b as typeof a).size && a.mtimeNs === (b as typeof a).mtimeNs;
  if (a.type === 'symlink') return a.target === (b as typeof a).target;
  return true;
}

export interface Version {
  state: PathState;
  origin: string;
}

/**
 * Of two concurrent live versions, the one every node keeps at the path (the other becomes a
 * conflict copy, or, for the same content, lends only its attributes): a directory over anything
 * that is not one (it may hold children); else the newer mtime; on equal mtimes — and between two
 * directories, which carry none — the greater node name; from one node, the state itself. The
 * same answer on every node, whatever came first: the rule depends on the pair, never on which
 * of the two is this node's.
 */
export function winnerOf(a: Version, b: Version): 'a' | 'b' {
  const aDir = a.state.type === 'dir';
  if (aDir !== (b.state.type === 'dir')) return aDir ? 'a' : 'b';
  const ma = BigInt(mtimeOf(a.state));
  const mb = BigInt(mtimeOf(b.state));
  if (ma !== mb) return ma > mb ? 'a' : 'b';
  const byOrigin = compareBytes(a.origin, b.origin);
  if (byOrigin !== 0) return byOrigin > 0 ? 'a' : 'b';
  // One origin on both (a version merged here names the other's maker): the state decides.
  return compareBytes(stateKey(a.state), stateKey(b.state)) >= 0 ? 'a' : 'b';
}

function mtimeOf(s: PathState): string {
  return s.type === 'file' ? s.mtimeNs : '0';
}

/** A state as one comparable string (type first): equal only for the same type, size, mode, target. */
function stateKey(s: PathState): string {
  return s.type === 'file' ? `f${s.size}/${s.mode}` : s.type === 'dir' ? `d${s.mode}` : `l${s.target}`;
}

/**
 * Where the losing version of a conflict is kept, Syncthing's convention:
 * `name.sync-conflict-YYYYMMDD-HHMMSS-<node>.ext`, the date (UTC) from the loser's mtime and the
 * node that made it, so every node that resolves the same conflict picks the same name.
 * The extension is the last `.x` of the name unless the name starts with its only dot.
 */
export function conflictName(path: RelPath, loser: Version): RelPath {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const base = path.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  const [stem, ext] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ''];
  const ms = Number(BigInt(mtimeOf(loser.state)) / 1_000_000n);
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const stamp = `${d.getUTCFullYear()}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCDate())}-${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}`;
  return `${dir}${stem}.sync-conflict-${stamp}-${loser.origin}${ext}`;
}

/** True for a name made by conflictName (such copies never get conflict copies of their own). */
export function isConflictCopy(path: RelPath): boolean {
  return /\.sync-conflict-\d{8}-\d{6}-[^/]*$/.test(path);
}
