/**
 * Tree digests and how to compare them. Pure: the digests are made on the nodes
 * (remote/digest.mjs); this file only compares and describes them.
 */
import type { DigestAnswer, DigestEntry } from './remote/digest.mjs';

export type { DigestEntry };

/** A node's digest: what remote/digest.mjs answered, and for which node. */
export interface TreeDigest extends DigestAnswer {
  readonly node: string;
}

export interface Divergence {
  readonly path: string;
  /** Each node's entry for the path (undefined: the node does not have it). */
  readonly byNode: Readonly<Record<string, DigestEntry | undefined>>;
}

/** True when every digest has the same hash (and there is at least one). */
export function allEqual(digests: readonly Pick<TreeDigest, 'hash'>[]): boolean {
  return digests.length > 0 && digests.every((d) => d.hash === digests[0]?.hash);
}

const sameEntry = (a: DigestEntry | undefined, b: DigestEntry | undefined): boolean =>
  a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);

/** Every path on which the (full) digests disagree, in path order. */
export function diffDigests(digests: readonly TreeDigest[]): Divergence[] {
  const maps = digests.map((d) => {
    if (!d.entries) throw new Error(`digest of ${d.node} has no entries (use a full digest)`);
    return new Map(d.entries.map((e) => [e.p, e]));
  });
  const paths = new Set<string>();
  for (const m of maps) for (const p of m.keys()) paths.add(p);
  const out: Divergence[] = [];
  for (const path of [...paths].sort()) {
    const entries = maps.map((m) => m.get(path));
    if (entries.every((e) => sameEntry(e, entries[0]))) continue;
    const byNode: Record<string, DigestEntry | undefined> = {};
    digests.forEach((d, i) => {
      byNode[d.node] = entries[i];
    });
    out.push({ path, byNode });
  }
  return out;
}

/** One entry in a few words: `file 1234 B 0644 mtime=… sha=abcd1234`. */
export function describeEntry(e: DigestEntry | undefined): string {
  if (!e) return 'missing';
  const mode = e.m.toString(8).padStart(4, '0');
  const parts: string[] = [];
  switch (e.t) {
    case 'f':
      parts.push(`file ${e.s ?? '?'} B`, mode, `sha=${(e.h ?? '').slice(0, 12)}`);
      break;
    case 'd':
      parts.push('dir', mode);
      break;
    case 'l':
      parts.push(`symlink -> ${e.l ?? '?'}`);
      break;
    case 'o':
      parts.push('special', mode);
      break;
  }
  if (e.mt !== undefined) parts.push(`mtime=${e.mt}`);
  if (e.u !== undefined) parts.push(`owner=${e.u}:${e.g ?? '?'}`);
  return parts.join(' ');
}

/** A readable report: per divergent path, what each node has; at most `max` paths. */
export function formatDivergences(divs: readonly Divergence[], max = 30): string {
  if (divs.length === 0) return 'no divergent paths';
  const lines = [`${divs.length} divergent path(s)${divs.length > max ? `, first ${max}` : ''}:`];
  for (const d of divs.slice(0, max)) {
    lines.push(`  ${d.path}`);
    for (const [node, e] of Object.entries(d.byNode)) lines.push(`    ${node.padEnd(8)} ${describeEntry(e)}`);
  }
  return lines.join('\n');
}
