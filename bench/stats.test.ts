import { describe, expect, it } from 'vitest';
import { median, percentile, ratio, summarizeLatency } from './stats.js';

describe('percentile (nearest rank)', () => {
  const xs = [15, 20, 35, 40, 50];
  it.each([
    [0, 15],
    [5, 15],
    [30, 20],
    [40, 20],
    [50, 35],
    [90, 50],
    [100, 50],
  ])('p%d of 15,20,35,40,50 is %d', (p, want) => expect(percentile(xs, p)).toBe(want));

  it('does not depend on the order of the samples', () => expect(percentile([50, 15, 40, 20, 35], 40)).toBe(20));
  it('is NaN for no samples', () => expect(percentile([], 50)).toBeNaN());
  it('p99 of fewer than 100 samples is the maximum', () => expect(percentile(Array.from({ length: 30 }, (_, i) => i), 99)).toBe(29));
  it('p90 of 10 samples is the 9th', () => expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9));
  it('refuses p outside 0..100', () => expect(() => percentile([1], 101)).toThrow(RangeError));
  it('median of an even count is the lower middle sample, not an average', () => expect(median([4, 1, 3, 2])).toBe(2));
});

describe('summarizeLatency', () => {
  it('counts misses beside the percentiles of the hits', () => {
    const s = summarizeLatency([
      { i: 0, ms: 10 },
      { i: 1, miss: true, deadlineMs: 6000 },
      { i: 2, ms: 30 },
      { i: 3, ms: 20 },
    ]);
    expect(s).toEqual({ n: 4, misses: 1, p50: 20, p90: 30, p99: 30, max: 30 });
  });
  it('all misses: NaN figures, every miss counted', () => {
    const s = summarizeLatency([{ i: 0, miss: true, deadlineMs: 20_000 }]);
    expect(s.n).toBe(1);
    expect(s.misses).toBe(1);
    expect(s.p50).toBeNaN();
    expect(s.max).toBeNaN();
  });
});

describe('ratio', () => {
  it('divides', () => expect(ratio(30, 10)).toBe(3));
  it('is NaN for a zero, negative or missing base', () => {
    expect(ratio(1, 0)).toBeNaN();
    expect(ratio(1, NaN)).toBeNaN();
    expect(ratio(NaN, 2)).toBeNaN();
  });
});
