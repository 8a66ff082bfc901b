import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * Test oracle: a digest of a whole tree (type, mode, size, mtime, content hash, link target per
 * path), with paths as latin1 byte strings so non-UTF-8 names compare byte-exact.
 */
export type TreeDigest = Map<string, string>;

export function digestTree(root: string): TreeDigest {
  const out: TreeDigest = new Map();
  const walk = (dir: Buffer, rel: string, depth: number) => {
    if (depth > 64) throw new Error(`tree deeper than 64 below ${root}`);
    for (const name of readdirSync(dir, { encoding: 'buffer' })) {
      const abs = Buffer.concat([dir, Buffer.from('/'), name]);
      const p = rel === '' ? name.toString('latin1') : `${rel}/${name.toString('latin1')}`;
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        continue; // vanished while walking: the next poll sees the settled state
      }
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isDirectory()) {
        out.set(p, `d ${mode}`);
        walk(abs, p, depth + 1);
      } else if (st.isSymbolicLink()) {
        out.set(p, `l ${readlinkSync(abs, { encoding: 'buffer' }).toString('hex')}`);
      } else {
        let hash = '?';
        try {
          hash = createHash('sha1').update(readFileSync(abs)).digest('hex');
        } catch {
          continue;
        }
        out.set(p, `f ${mode} ${st.size} ${Math.floor(st.mtimeMs / 1000)} ${hash}`);
      }
    }
  };
  walk(Buffer.from(root), '', 0);
  return out;
}

/** Paths that differ between two digests, at most `limit` of them, readable. */
export function diffTrees(a: TreeDigest, b: TreeDigest, limit = 20): string[] {
  const out: string[] = [];
  for (const [p, v] of a) if (b.get(p) !== v) out.push(`${JSON.stringify(p)}: source ${v} / replica ${b.get(p) ?? 'missing'}`);
  for (const [p, v] of b) if (!a.has(p)) out.push(`${JSON.stringify(p)}: source missing / replica ${v}`);
  return out.slice(0, limit);
}

/**
 * Polls until every replica's digest equals the source's, or throws at the deadline with the
 * divergent paths. No fixed sleeps: it checks every `intervalMs` and returns as soon as equal.
 */
export async function awaitConverged(source: string, replicas: string[], deadlineMs = 20_000, intervalMs = 50): Promise<number> {
  const t0 = Date.now();
  let last: string[] = [];
  for (let i = 0; Date.now() - t0 < deadlineMs && i < 100_000; i++) {
    const want = digestTree(source);
    last = [];
    for (const r of replicas) {
      const d = diffTrees(want, digestTree(r), 10);
      if (d.length > 0) last.push(`${r}:\n    ${d.join('\n    ')}`);
    }
    if (last.length === 0) return Date.now() - t0;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`not converged after ${deadlineMs} ms:\n  ${last.join('\n  ')}`);
}

/** Resolves when `cond()` is true, polling; throws with `what` at the deadline. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, deadlineMs = 10_000, intervalMs = 20): Promise<void> {
  const t0 = Date.now();
  for (let i = 0; i < 1_000_000; i++) {
    if (await cond()) return;
    if (Date.now() - t0 > deadlineMs) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
