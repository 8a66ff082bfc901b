import { describe, expect, it } from 'vitest';
import { bump, compareVersions, formatVersion, mergeVersions } from './version.js';

describe('version vectors', () => {
  it.each([
    [{}, {}, 'equal'],
    [{ a: 1 }, { a: 1 }, 'equal'],
    [{ a: 2 }, { a: 1 }, 'newer'],
    [{ a: 1 }, { a: 2 }, 'older'],
    [{ a: 1, b: 1 }, { a: 1 }, 'newer'],
    [{ a: 1 }, { a: 1, b: 1 }, 'older'],
    [{ a: 2 }, { a: 1, b: 1 }, 'concurrent'],
    [{ a: 1 }, { b: 1 }, 'concurrent'],
    [{ a: 0 }, {}, 'equal'],
  ] as const)('%j vs %j → %s', (a, b, want) => expect(compareVersions(a, b)).toBe(want));

  it('merge dominates both; bump makes a newer version on one node', () => {
    const m = mergeVersions({ a: 2, b: 1 }, { b: 3, c: 1 });
    expect(m).toEqual({ a: 2, b: 3, c: 1 });
    expect(compareVersions(m, { a: 2, b: 1 })).toBe('newer');
    expect(compareVersions(bump(m, 'c'), m)).toBe('newer');
    expect(bump(undefined, 'x')).toEqual({ x: 1 });
    expect(formatVersion({ b: 1, a: 2 })).toBe('a:2,b:1');
  });
});
