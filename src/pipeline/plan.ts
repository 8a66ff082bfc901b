import type { Batch, Change, Move } from '../core/change.js';
import { compareBytes, type RelPath } from '../core/path.js';

/**
 * Turns a replica's queued changes into the batch it runs. Pure.
 *
 * Order of work on the replica: renames, then recursive syncs and writes, then deletes — deletes
 * last so that a renamed file's old copy can still serve as rsync's --fuzzy basis, and so that a
 * failed rename costs nothing but speed.
 */
export function plan(changes: readonly Change[]): Batch {
  const trees: RelPath[] = [];
  const writes: RelPath[] = [];
  const dirs: RelPath[] = [];
  const deletes: RelPath[] = [];
  const candidates: Move[] = [];
  let oldest = Infinity;
  for (const c of changes) {
    oldest = Math.min(oldest, c.first);
    if (c.deleted) deletes.push(c.path);
    else if (c.recursive) trees.push(c.path);
    else if (c.isDir) dirs.push(c.path);
    else writes.push(c.path);
    if (!c.deleted && c.from !== undefined) candidates.push({ from: c.from, to: c.path, isDir: c.isDir });
  }
  return {
    moves: safeMoves(candidates),
    trees: sortBytes(trees),
    writes: sortBytes(writes),
    dirs: sortBytes(dirs),
    deletes: sortBytes(deletes),
    changes: changes.length,
    oldest: oldest === Infinity ? 0 : oldest,
  };
}

/**
 * Renames that cannot step on each other: none whose source is another's destination (swaps and
 * chains within one batch) and none whose source was claimed twice. What is left out is still
 * correct, because every destination is synced and every source deleted anyway.
 */
function safeMoves(moves: Move[]): Move[] {
  const targets = new Set(moves.map((m) => m.to));
  const sources = new Map<RelPath, number>();
  for (const m of moves) sources.set(m.from, (sources.get(m.from) ?? 0) + 1);
  return moves
    .filter((m) => !targets.has(m.from) && sources.get(m.from) === 1)
    .sort((a, b) => compareBytes(a.to, b.to));
}

function sortBytes(paths: RelPath[]): RelPath[] {
  return paths.sort(compareBytes);
}
