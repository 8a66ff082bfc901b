import { describe, expect, it } from 'vitest';
import type { Change } from '../core/change.js';
import { dueAt, isDue, nextDue } from './settle.js';
import type { SettleRule } from '../core/tunables.js';

const rule: SettleRule = { quietMs: 20, stableForMs: 1500, maxHoldMs: 60_000, treeHoldMs: 500 };
const c = (over: Partial<Change>): Change => ({
  path: 'f',
  recursive: false,
  isDir: false,
  deleted: false,
  first: 1000,
  last: 1000,
  open: false,
  ...over,
});

describe('settle', () => {
  it.each<[string, Partial<Change>, number]>([
    ['a closed write is due after the quiet time', {}, 1020],
    ['a delete is due after the quiet time', { deleted: true }, 1020],
    ['a new directory is due after the quiet time', { isDir: true, recursive: true }, 1020],
    ['an open file waits until stable', { open: true }, 2500],
    ['a file open for long is due after stable from its last write', { open: true, first: 0, last: 1000 }, 2500],
    ['a file that never stops changing is due at maxHold', { open: true, first: 0, last: 59_000 }, 60_000],
    ['close unknown, one quick burst: quiet time only', { open: true, closeUnknown: true, first: 1000, last: 1010 }, 1030],
    ['close unknown, changing for longer than quiet: stable', { open: true, closeUnknown: true, first: 1000, last: 1100 }, 2600],
    ['a new directory still being filled leaves at treeHold', { isDir: true, recursive: true, first: 1000, last: 1800 }, 1800],
    ['... but not before its last event', { isDir: true, recursive: true, first: 1000, last: 1400 }, 1420],
    ['... nor while a file below it is open', { isDir: true, recursive: true, open: true, first: 1000, last: 1800 }, 3300],
    ['... until that file has been quiet for stableFor, though others below change', { isDir: true, recursive: true, open: true, openLast: 1100, first: 1000, last: 5000 }, 5000],
    ['... and not before the tree would leave without it', { isDir: true, recursive: true, open: true, openLast: -1000, first: 1000, last: 1200 }, 1220],
  ])('%s', (_n, over, due) => {
    expect(dueAt(c(over), rule)).toBe(due);
  });

  it('isDue compares with now', () => {
    expect(isDue(c({}), 1019, rule)).toBe(false);
    expect(isDue(c({}), 1020, rule)).toBe(true);
  });

  it('nextDue is the earliest due time', () => {
    expect(nextDue([c({ open: true }), c({ last: 1200 }), c({ last: 1100 })], rule)).toBe(1120);
    expect(nextDue([], rule)).toBeUndefined();
  });
});

describe('settle after folding (regression: a create without close info must not mask a known-open writer)', () => {
  it('holds a created file that is then written and kept open', async () => {
    const { ChangeSet } = await import('./combine.js');
    const s = new ChangeSet();
    s.addEvent({ kind: 'create', path: 'up', isDir: false, time: 1000 });
    s.addEvent({ kind: 'modify', path: 'up', isDir: false, closed: false, time: 1001 });
    const entry = s.get('up');
    expect(entry && dueAt(entry, rule)).toBe(2501);
  });
});
