/**
 * When a burst has arrived: a cheap check, polled every 10 ms, that every replica holds every
 * expected file with its size (files already found are not looked at again, so a poll costs
 * little once most have arrived); then the full comparison of the trees — names, types, modes,
 * sizes, mtimes and content — with the harness's oracle (e2e/harness/local-tree.js). The time
 * of convergence is when the cheap check passed if the full comparison then agrees at once;
 * otherwise when `awaitDirsConverged` saw the trees agree ("confirmed later").
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { awaitDirsConverged, diffDirs, digestDir } from '../e2e/harness/local-tree.js';

export interface Converged {
  /** performance.now() when the replicas were seen equal to the source. */
  readonly at: number;
  readonly confirmed: 'at once' | 'later';
}

const POLL_MS = 10;

/** Removes from `pending` (dir → name → size) what `replica` already holds. */
function takeArrived(replica: string, pending: Map<string, Map<string, number>>): void {
  for (const [rel, files] of pending) {
    let names: string[];
    try {
      names = readdirSync(path.join(replica, rel));
    } catch {
      continue; // the directory is not there yet
    }
    for (const name of names) {
      const size = files.get(name);
      if (size === undefined) continue;
      if (statSync(path.join(replica, rel, name), { throwIfNoEntry: false })?.size === size) files.delete(name);
    }
    if (files.size === 0) pending.delete(rel);
  }
}

/** Resolves once every replica equals the source; throws at `deadlineMs` with what is missing. */
export async function awaitBurstConverged(source: string, replicas: readonly string[], expected: ReadonlyMap<string, ReadonlyMap<string, number>>, deadlineMs: number): Promise<Converged> {
  const start = performance.now();
  const pending = replicas.map((r) => ({ r, left: new Map([...expected].map(([d, files]) => [d, new Map(files)])) }));
  const maxPolls = Math.ceil(deadlineMs / POLL_MS) + 2;
  let at: number | undefined;
  for (let k = 0; k < maxPolls; k++) {
    for (const p of pending) takeArrived(p.r, p.left);
    if (pending.every((p) => p.left.size === 0)) {
      at = performance.now();
      break;
    }
    if (performance.now() - start > deadlineMs) break;
    await delay(POLL_MS);
  }
  if (at === undefined) {
    const missing = pending.map((p) => `${p.r}: ${[...p.left.values()].reduce((n, f) => n + f.size, 0)} files missing or of the wrong size`);
    throw new Error(`not converged after ${deadlineMs} ms: ${missing.join('; ')}`);
  }
  const want = digestDir(source);
  if (replicas.every((r) => diffDirs(want, digestDir(r), 1).length === 0)) return { at, confirmed: 'at once' };
  const left = Math.max(1000, deadlineMs - (performance.now() - start));
  await awaitDirsConverged(source, replicas, left, 100);
  return { at: performance.now(), confirmed: 'later' };
}
