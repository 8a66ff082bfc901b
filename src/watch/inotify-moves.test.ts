import { describe, expect, it } from 'vitest';
import { hasUnpairedMoveFrom, pairMoves } from './inotify-moves.js';
import { IN_CREATE, IN_MOVED_FROM, IN_MOVED_TO, type InotifyRecord } from './sys/inotify-event.js';

const from = (cookie: number, name = 'a'): InotifyRecord => ({ wd: 1, mask: IN_MOVED_FROM, cookie, name });
const to = (cookie: number, name = 'b'): InotifyRecord => ({ wd: 2, mask: IN_MOVED_TO, cookie, name });
const create: InotifyRecord = { wd: 1, mask: IN_CREATE, cookie: 0, name: 'c' };

describe('pairMoves', () => {
  it('pairs halves by cookie, in order, with events between them', () => {
    expect([...pairMoves([from(5), create, to(5)])]).toEqual([[0, 2]]);
    expect([...pairMoves([from(1), from(2), to(2), to(1)])]).toEqual([
      [1, 2],
      [0, 3],
    ]);
  });

  it('leaves halves without a partner unpaired', () => {
    expect(pairMoves([from(1), to(2)]).size).toBe(0);
    expect(pairMoves([to(1), from(1)]).size).toBe(0); // a TO before its FROM is not its partner
  });

  it('pairs a reused cookie with the nearest FROM', () => {
    expect([...pairMoves([from(9), to(9), from(9), to(9)])]).toEqual([
      [0, 1],
      [2, 3],
    ]);
  });
});

describe('hasUnpairedMoveFrom', () => {
  it('is true only while a FROM waits for its TO', () => {
    expect(hasUnpairedMoveFrom([create])).toBe(false);
    expect(hasUnpairedMoveFrom([from(3)])).toBe(true);
    expect(hasUnpairedMoveFrom([from(3), to(3)])).toBe(false);
    expect(hasUnpairedMoveFrom([to(4)])).toBe(false);
    expect(hasUnpairedMoveFrom([from(3), to(3), from(4)])).toBe(true);
  });
});
