import { describe, expect, it } from 'vitest';
import { allEqual, describeEntry, diffDigests, formatDivergences, type DigestEntry, type TreeDigest } from './tree-diff.js';

const file = (p: string, h = 'aa', s = 1, m = 0o644): DigestEntry => ({ p, t: 'f', m, s, mt: 100, h });
const dir = (p: string): DigestEntry => ({ p, t: 'd', m: 0o755 });
const digest = (node: string, entries: DigestEntry[], hash = 'x'): TreeDigest => ({
  node,
  root: '/srv/data',
  count: entries.length,
  hash,
  vanished: 0,
  entries,
});

describe('allEqual', () => {
  it('needs at least one digest and equal hashes', () => {
    expect(allEqual([])).toBe(false);
    expect(allEqual([{ hash: 'a' }])).toBe(true);
    expect(allEqual([{ hash: 'a' }, { hash: 'a' }])).toBe(true);
    expect(allEqual([{ hash: 'a' }, { hash: 'b' }])).toBe(false);
  });
});

describe('diffDigests', () => {
  it('finds nothing in identical trees', () => {
    const e = [dir('a'), file('a/x')];
    expect(diffDigests([digest('n1', e), digest('n2', [...e])])).toEqual([]);
  });

  it('reports missing, extra and different entries per node', () => {
    const a = digest('n1', [dir('a'), file('a/x', 'aa'), file('only-n1')]);
    const b = digest('n2', [dir('a'), file('a/x', 'bb'), file('only-n2')]);
    const c = digest('n3', [dir('a'), file('a/x', 'aa')]);
    const divs = diffDigests([a, b, c]);
    expect(divs.map((d) => d.path)).toEqual(['a/x', 'only-n1', 'only-n2']);
    expect(divs[0]?.byNode['n2']?.h).toBe('bb');
    expect(divs[1]?.byNode['n2']).toBeUndefined();
    expect(divs[1]?.byNode['n1']?.p).toBe('only-n1');
  });

  it('treats a path missing everywhere but one node as divergent', () => {
    const divs = diffDigests([digest('n1', [file('x')]), digest('n2', [])]);
    expect(divs).toHaveLength(1);
  });

  it('notices mode, type and symlink target differences', () => {
    const l1: DigestEntry = { p: 'l', t: 'l', m: 0o777, l: 'a' };
    const l2: DigestEntry = { p: 'l', t: 'l', m: 0o777, l: 'b' };
    expect(diffDigests([digest('n1', [l1]), digest('n2', [l2])])).toHaveLength(1);
    expect(diffDigests([digest('n1', [file('f', 'aa', 1, 0o644)]), digest('n2', [file('f', 'aa', 1, 0o600)])])).toHaveLength(1);
    expect(diffDigests([digest('n1', [dir('d')]), digest('n2', [file('d')])])).toHaveLength(1);
  });

  it('refuses summary digests', () => {
    expect(() => diffDigests([{ node: 'n1', root: '/', count: 0, hash: 'x', vanished: 0 }])).toThrow(/full/);
  });
});

describe('formatDivergences', () => {
  it('says which node has what', () => {
    const text = formatDivergences(diffDigests([digest('web1', [file('a\\xffb')]), digest('web2', [])]));
    expect(text).toContain('1 divergent path(s)');
    expect(text).toContain('a\\xffb');
    expect(text).toMatch(/web1\s+file 1 B 0644/);
    expect(text).toMatch(/web2\s+missing/);
  });

  it('caps the listing', () => {
    const many = Array.from({ length: 50 }, (_, i) => file(`f${String(i).padStart(2, '0')}`));
    const text = formatDivergences(diffDigests([digest('a', many), digest('b', [])]), 5);
    expect(text).toContain('50 divergent path(s), first 5');
    expect(text.split('\n')).toHaveLength(1 + 5 * 3);
  });

  it('describes each kind of entry', () => {
    expect(describeEntry(undefined)).toBe('missing');
    expect(describeEntry({ p: 'l', t: 'l', m: 0o777, l: '../x', mt: 5 })).toBe('symlink -> ../x mtime=5');
    expect(describeEntry({ p: 'd', t: 'd', m: 0o700 })).toBe('dir 0700');
  });
});
