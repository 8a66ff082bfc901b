import type { RelPath } from '../core/path.js';
import { conflictName, sameContent, winnerOf, type PathRecord, type PathState } from './record.js';
import { compareVersions, type VersionVector } from './version.js';

/** A version a peer sent: its state (none = deleted), its vector and the node that made it. */
export interface IncomingVersion {
  state?: PathState;
  vv: VersionVector;
  origin: string;
}

/**
 * What the receiving node does with a peer's version of one path:
 *  - `ignore`   it is the version this node has (`same`) or one it has already superseded
 *               (`older`: a late batch, an echo, a peer that was behind): nothing changes;
 *  - `take`     it is newer: the path becomes what the peer says (written, or deleted);
 *  - `keep`     concurrent, and this node's version stays: an edit beats a delete (but a
 *               delete beats a directory's version: it has no content of its own);
 *  - `merge`    concurrent but the same content (both made the same file, or both deleted it):
 *               only the vectors join; `adopt` says whose attributes (mode) win;
 *  - `conflict` concurrent edits: `keep` stays at the path, the other is kept as `copy`
 *               (record.ts conflictName), the same choice on every node.
 * After every decision but `ignore` the node records the merged vector, so the result is newer
 * than both versions it saw.
 */
export type Decision =
  | { kind: 'ignore'; why: 'same' | 'older' }
  | { kind: 'take' }
  | { kind: 'keep' }
  | { kind: 'merge'; adopt: 'local' | 'incoming' }
  | { kind: 'conflict'; keep: 'local' | 'incoming'; copy: RelPath };

/** Pure. `local` is this node's record of the path (undefined: never seen), with any local change already recorded. */
export function decide(path: RelPath, local: PathRecord | undefined, incoming: IncomingVersion): Decision {
  if (!local) return { kind: 'take' };
  const order = compareVersions(incoming.vv, local.vv);
  if (order === 'equal') return { kind: 'ignore', why: 'same' };
  if (order === 'older') return { kind: 'ignore', why: 'older' };
  if (order === 'newer') return { kind: 'take' };
  // Concurrent: neither node saw the other's version.
  const mine = local.state;
  const theirs = incoming.state;
  if (!mine && !theirs) return { kind: 'merge', adopt: 'local' };
  // A directory has no content of its own to lose: a delete beats a concurrent version of one
  // (a rescan seeing it, a mode change). What must survive below it brings it back: applying a
  // kept file remakes its parents as new versions, and a directory still holding something is
  // not removed.
  if (!theirs) return mine?.type === 'dir' ? { kind: 'take' } : { kind: 'keep' }; // their delete vs my edit: the edit stays
  if (!mine) return theirs.type === 'dir' ? { kind: 'keep' } : { kind: 'take' }; // my delete vs their edit: the edit comes back
  const w = winnerOf({ state: mine, origin: local.origin }, { state: theirs, origin: incoming.origin });
  if (sameContent(mine, theirs)) return { kind: 'merge', adopt: w === 'a' ? 'local' : 'incoming' };
  const loser = w === 'a' ? { state: theirs, origin: incoming.origin } : { state: mine, origin: local.origin };
  return { kind: 'conflict', keep: w === 'a' ? 'local' : 'incoming', copy: conflictName(path, loser) };
}
