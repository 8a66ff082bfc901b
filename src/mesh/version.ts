/**
 * Version vectors: per path, how many versions each node has made of it (DESIGN.md "Mesh").
 * Two versions compare as equal, one newer than the other, or concurrent (neither saw the
 * other), whatever their arrival order or their mtimes. Pure.
 */
export type VersionVector = Readonly<Record<string, number>>;

export type Order = 'equal' | 'newer' | 'older' | 'concurrent';

/** How `a` relates to `b`: newer = a has seen everything b has, and more. */
export function compareVersions(a: VersionVector, b: VersionVector): Order {
  let aAhead = false;
  let bAhead = false;
  for (const node of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = a[node] ?? 0;
    const y = b[node] ?? 0;
    if (x > y) aAhead = true;
    else if (y > x) bAhead = true;
  }
  if (aAhead && bAhead) return 'concurrent';
  if (aAhead) return 'newer';
  if (bAhead) return 'older';
  return 'equal';
}

/** The least vector that has seen both. */
export function mergeVersions(a: VersionVector, b: VersionVector): VersionVector {
  const out: Record<string, number> = { ...a };
  for (const [node, n] of Object.entries(b)) out[node] = Math.max(out[node] ?? 0, n);
  return out;
}

/** The next version made on `node` after `v`. */
export function bump(v: VersionVector | undefined, node: string): VersionVector {
  return { ...v, [node]: (v?.[node] ?? 0) + 1 };
}

/** `{n1:3, n2:1}` as `n1:3,n2:1` (sorted), for logs. */
export function formatVersion(v: VersionVector): string {
  return Object.keys(v)
    .sort()
    .map((k) => `${k}:${v[k]}`)
    .join(',');
}
