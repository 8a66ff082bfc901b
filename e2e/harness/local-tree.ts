/**
 * The tree oracle on this machine's own directories (integration tests, benchmarks): the same
 * digest the nodes run (remote/digest.mjs), called in-process, so a local and a remote check
 * agree on what "identical" means.
 */
import { fixedInterval, poll } from './poll.js';
import { digest, unescapePath } from './remote/digest.mjs';
import { describeEntry, type DigestEntry } from './tree-diff.js';

/**
 * A tree as path → entry: paths as latin1 byte strings (one char per byte, so non-UTF-8 names
 * compare byte-exact), entries as their canonical JSON (see remote/digest.mjs for the fields).
 */
export type LocalDigest = Map<string, string>;

/** Every path below `root` with its type, mode, size, mtime (unless `mtime: 'none'`), content hash or link target. */
export function digestDir(root: string, opts: { mtime?: 'files' | 'none' } = {}): LocalDigest {
  const out: LocalDigest = new Map();
  for (const { p, ...rest } of digest({ root, mode: 'full', ...opts }).entries ?? []) {
    out.set(unescapePath(p).toString('latin1'), JSON.stringify(rest));
  }
  return out;
}

const describe = (json: string | undefined): string =>
  json === undefined ? 'missing' : describeEntry({ p: '', ...(JSON.parse(json) as Omit<DigestEntry, 'p'>) });

/** Paths that differ between two digests, at most `limit` of them, readable. */
export function diffDirs(a: LocalDigest, b: LocalDigest, limit = 20): string[] {
  const out: string[] = [];
  for (const [p, v] of a) if (b.get(p) !== v) out.push(`${JSON.stringify(p)}: source ${describe(v)} / replica ${describe(b.get(p))}`);
  for (const [p, v] of b) if (!a.has(p)) out.push(`${JSON.stringify(p)}: source missing / replica ${describe(v)}`);
  return out.slice(0, limit);
}

/**
 * Polls every `intervalMs` until each replica's digest equals the source's; resolves the ms it
 * took, or throws at the deadline with the divergent paths. No fixed sleeps.
 */
export async function awaitDirsConverged(source: string, replicas: readonly string[], deadlineMs = 20_000, intervalMs = 50): Promise<number> {
  const r = await poll(
    async () => {
      const want = digestDir(source);
      const diverged: string[] = [];
      for (const dir of replicas) {
        const d = diffDirs(want, digestDir(dir), 10);
        if (d.length > 0) diverged.push(`${dir}:\n    ${d.join('\n    ')}`);
      }
      return { done: diverged.length === 0, value: diverged };
    },
    fixedInterval(deadlineMs, intervalMs),
  );
  if (r.ok) return Math.round(r.elapsedMs);
  throw new Error(`not converged after ${deadlineMs} ms:\n  ${(r.last ?? []).join('\n  ')}`);
}
