import { describe, expect, it } from 'vitest';
import { burstLayout, expectedSizes } from './burst-tree.js';

describe('burstLayout', () => {
  it('10,000 files in 1,000 directories under 10 top directories, 10 files each', () => {
    const l = burstLayout({ files: 10_000, dirs: 1_000 });
    expect(l).toHaveLength(1_000);
    expect(l.reduce((n, d) => n + d.files.length, 0)).toBe(10_000);
    expect(new Set(l.map((d) => d.rel.split('/')[0])).size).toBe(10);
    expect(new Set(l.map((d) => d.rel)).size).toBe(1_000);
    expect(l.every((d) => d.files.length === 10)).toBe(true);
  });
  it('spreads a remainder over the first directories', () => {
    expect(burstLayout({ files: 7, dirs: 3 }).map((d) => d.files.length)).toEqual([3, 2, 2]);
  });
  it('files are small and of varying length', () => {
    const sizes = [...expectedSizes(burstLayout({ files: 200, dirs: 20 })).values()].flatMap((m) => [...m.values()]);
    expect(Math.max(...sizes)).toBeLessThan(200);
    expect(new Set(sizes).size).toBeGreaterThan(3);
  });
  it('expectedSizes counts bytes', () => {
    expect(expectedSizes([{ rel: 'a', files: [{ name: 'f', content: 'é\n' }] }])).toEqual(new Map([['a', new Map([['f', 3]])]]));
  });
});
