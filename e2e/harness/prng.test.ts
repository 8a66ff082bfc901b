import { describe, expect, it } from 'vitest';
import { chooseSeed, createRng } from './prng.js';

const take = (seed: string, n: number): number[] => {
  const r = createRng(seed);
  return Array.from({ length: n }, () => r.uint32());
};

describe('createRng', () => {
  it('is deterministic for a seed', () => {
    expect(take('abc', 50)).toEqual(take('abc', 50));
  });

  it('differs between seeds', () => {
    expect(take('abc', 8)).not.toEqual(take('abd', 8));
  });

  it('stays in range and covers it', () => {
    const r = createRng('range');
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const v = r.range(3, 7);
      expect(v).toBeGreaterThanOrEqual(3);
      expect(v).toBeLessThanOrEqual(7);
      seen.add(v);
      const f = r.next();
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6, 7]);
  });

  it('honours weights, skipping zero weights', () => {
    const r = createRng('w');
    const counts = { a: 0, b: 0, z: 0 };
    for (let i = 0; i < 4000; i++) counts[r.weighted<'a' | 'b' | 'z'>([['a', 3], ['z', 0], ['b', 1]])]++;
    expect(counts.z).toBe(0);
    expect(counts.a / counts.b).toBeGreaterThan(2.4);
    expect(counts.a / counts.b).toBeLessThan(3.6);
  });

  it('forks stable, independent streams', () => {
    const a = createRng('s').fork('x').uint32();
    const b = createRng('s').fork('x').uint32();
    const c = createRng('s').fork('y').uint32();
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('rejects impossible picks', () => {
    const r = createRng('e');
    expect(() => r.pick([])).toThrow();
    expect(() => r.int(0)).toThrow();
    expect(() => r.weighted([['a', 0]])).toThrow();
  });
});

describe('chooseSeed', () => {
  it('prefers SEED from the environment', () => {
    expect(chooseSeed({ SEED: ' 42 ' }, () => 'fresh')).toBe('42');
    expect(chooseSeed({ SEED: '' }, () => 'fresh')).toBe('fresh');
    expect(chooseSeed({}, () => 'fresh')).toBe('fresh');
  });
});
