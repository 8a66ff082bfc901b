import { describe, expect, it } from 'vitest';
import { delayFor } from './backoff.js';

const rule = { initialMs: 1000, maxMs: 30_000 };

describe('delayFor', () => {
  it.each([
    // attempt, rand, expected
    [1, 0, 750],
    [1, 0.5, 1000],
    [1, 1, 1250],
    [2, 0, 1500],
    [2, 1, 2500],
    [3, 0.5, 4000],
    [5, 1, 20_000],
    [6, 0, 22_500],
    [6, 1, 30_000],
    [100, 0, 22_500],
    [100, 1, 30_000],
    [5000, 0.5, 26_250],
    [0, 1, 1250],
    [-3, 0.5, 1000],
  ])('attempt %i, rand %f → %i ms', (attempt, r, want) => {
    expect(delayFor(attempt, rule, () => r)).toBe(want);
  });

  it('grows monotonically (at fixed jitter) and never exceeds the cap', () => {
    let prev = 0;
    for (let a = 1; a < 40; a++) {
      const d = delayFor(a, rule, () => 0.3);
      expect(d).toBeGreaterThanOrEqual(prev);
      expect(d).toBeLessThanOrEqual(rule.maxMs);
      prev = d;
    }
  });

  it('defaults to Math.random within the bounds', () => {
    for (let i = 0; i < 50; i++) {
      const d = delayFor(3, rule);
      expect(d).toBeGreaterThanOrEqual(3000);
      expect(d).toBeLessThanOrEqual(5000);
    }
  });
});
