import { describe, expect, it } from 'vitest';
import type { Change } from '../core/change.js';
import { FakeClock } from '../../test/support/fake-clock.js';
import { del, tree, write } from '../../test/support/changes.js';
import { StableGate } from './stable-gate.js';

/** A gate over a fake disk: `files` maps a path to its size-and-times snapshot. */
function gate() {
  const clock = new FakeClock(1000);
  const files = new Map<string, string>();
  const released: Array<{ at: number; paths: string[] }> = [];
  const g = new StableGate({
    root: '/src',
    quietMs: 300,
    stableForMs: 1500,
    checkEveryMs: 100,
    maxHoldMs: 60_000,
    clock,
    release: (cs: Change[]) => released.push({ at: clock.now(), paths: cs.map((c) => c.path) }),
    stat: (abs) => files.get(abs.toString('latin1').slice('/src/'.length)),
  });
  return { clock, files, released, g };
}

const unknown = (p: string) => write(p, { closeUnknown: true, open: true });

describe('StableGate', () => {
  it('lets changes whose close is known, deletes, directories and trees pass at once', () => {
    const { g, released } = gate();
    g.add([write('a'), del('b'), tree('c'), write('d', { isDir: true, closeUnknown: true })]);
    expect(released).toEqual([{ at: 1000, paths: ['a', 'b', 'c', 'd'] }]);
    expect(g.size).toBe(0);
  });

  it('holds a file of unknown close until it was unchanged for quietMs', () => {
    const { g, clock, files, released } = gate();
    files.set('up', '1');
    g.add([unknown('up')]);
    clock.advance(200);
    expect(released).toEqual([]);
    clock.advance(100);
    expect(released).toEqual([{ at: 1300, paths: ['up'] }]);
  });

  it('a growing file leaves once it stops growing, not while it grows', () => {
    const { g, clock, files, released } = gate();
    files.set('up', '1');
    g.add([unknown('up')]);
    for (let i = 2; i <= 30; i++) {
      clock.advance(100);
      files.set('up', String(i));
    }
    expect(released).toEqual([]);
    clock.advance(300); // the last growth is seen at the next look, 100 ms after it happened
    expect(released).toEqual([]);
    clock.advance(100);
    expect(released.map((r) => r.paths)).toEqual([['up']]);
  });

  it('a file that changes again after it left leaves again, though no event came', () => {
    const { g, clock, files, released } = gate();
    files.set('up', '1');
    g.add([unknown('up')]);
    clock.advance(400);
    expect(released).toHaveLength(1);
    files.set('up', '2'); // the upload paused past quietMs, then went on
    clock.advance(400);
    expect(released).toHaveLength(2);
    clock.advance(1600);
    expect(g.size).toBe(0); // stable for stableForMs after it last left: no longer watched
    expect(released).toHaveLength(2);
  });

  it('a file that never stops changing leaves every maxHoldMs', () => {
    const { g, clock, files, released } = gate();
    files.set('log', '0');
    g.add([unknown('log')]);
    for (let i = 1; i <= 1300; i++) {
      clock.advance(100);
      files.set('log', String(i));
    }
    expect(released.length).toBe(2); // 130 s: at 60 s and at 120 s
  });

  it('a held file that vanished leaves (rsync deletes it on the replicas)', () => {
    const { g, clock, files, released } = gate();
    files.set('x', '1');
    g.add([unknown('x')]);
    files.delete('x');
    clock.advance(100);
    expect(released).toEqual([{ at: 1100, paths: ['x'] }]);
    expect(g.size).toBe(0);
  });

  it('flush lets what is held go at once, and no timer stays armed', () => {
    const { g, clock, files, released } = gate();
    files.set('a', '1');
    g.add([unknown('a')]);
    g.flush();
    expect(released).toEqual([{ at: 1000, paths: ['a'] }]);
    expect(clock.armed).toBe(0);
  });
});
