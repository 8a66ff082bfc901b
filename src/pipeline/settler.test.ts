import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import type { Change } from '../core/change.js';
import type { FsEvent } from '../core/event.js';
import { Settler } from './settler.js';

const rule = { quietMs: 20, stableForMs: 1500, maxHoldMs: 60_000, treeHoldMs: 500 };

describe('Settler', () => {
  const setup = () => {
    const t = new FakeClock();
    const out: Change[][] = [];
    const s = new Settler(rule, (c) => out.push(c), t);
    const ev = (kind: FsEvent['kind'], path: string, closed?: boolean): FsEvent => ({ kind, path, isDir: false, time: t.now(), ...(closed === undefined ? {} : { closed }) });
    return { t, out, s, ev };
  };

  it('releases a closed write after the quiet time, not before', () => {
    const { t, out, s, ev } = setup();
    s.add([ev('create', 'f', false), ev('modify', 'f', false), ev('modify', 'f', true)]);
    t.advance(19);
    expect(out).toHaveLength(0);
    t.advance(1);
    expect(out.flat().map((c) => c.path)).toEqual(['f']);
    expect(t.armed).toBe(0);
  });

  it('holds a file being written until it has been stable, while others pass', () => {
    const { t, out, s, ev } = setup();
    for (let i = 0; i < 50; i++) {
      s.add([ev('modify', 'upload', false)]);
      if (i === 10) s.add([ev('modify', 'small', true)]);
      t.advance(100);
    }
    expect(out.flat().map((c) => c.path)).toEqual(['small']);
    s.add([ev('modify', 'upload', true)]);
    t.advance(20);
    expect(out.flat().map((c) => c.path)).toEqual(['small', 'upload']);
  });

  it('hands on changes timed from their last event (lag starts when the upload is complete)', () => {
    const { t, out, s, ev } = setup();
    s.add([ev('create', 'up', false)]);
    for (let i = 0; i < 30; i++) {
      t.advance(100);
      s.add([ev('modify', 'up', false)]);
    }
    s.add([ev('modify', 'up', true)]);
    t.advance(20);
    expect(out.flat().map((c) => [c.path, c.first, c.last])).toEqual([['up', 3000, 3000]]);
  });

  it('releases an open file that went quiet after stableFor', () => {
    const { t, out, s, ev } = setup();
    s.add([ev('modify', 'f', false)]);
    t.advance(1499);
    expect(out).toHaveLength(0);
    t.advance(1);
    expect(out).toHaveLength(1);
  });

  // Regression (fanotify, e2e faults): a create whose close never came (a symlink, a hard link)
  // below a new directory held that directory, and all churn below it, until maxHold (60 s).
  it('a new directory with a file whose close never comes leaves stableFor after that file, under churn', () => {
    const { t, out, s, ev } = setup();
    s.add([{ kind: 'create', path: 'a', isDir: true, closed: true, time: t.now() }, ev('create', 'a/link', false)]);
    for (let i = 0; i < 100 && out.length === 0; i++) {
      t.advance(100);
      s.add([ev('create', `a/f${i}`, false), ev('modify', `a/f${i}`, true)]);
    }
    expect(out.flat().map((c) => c.path)).toEqual(['a']);
    expect(t.now()).toBe(1500);
  });

  it('... while a file below it that is still being written holds it', () => {
    const { t, out, s, ev } = setup();
    s.add([{ kind: 'create', path: 'a', isDir: true, closed: true, time: t.now() }, ev('create', 'a/upload', false)]);
    for (let i = 0; i < 50; i++) {
      t.advance(100);
      s.add([ev('modify', 'a/upload', false), ev('modify', `a/small${i}`, true)]);
    }
    expect(out).toHaveLength(0);
    s.add([ev('modify', 'a/upload', true)]);
    t.advance(20);
    expect(out.flat().map((c) => c.path)).toEqual(['a']);
  });

  it('flush releases everything at once', () => {
    const { out, s, ev } = setup();
    s.add([ev('modify', 'a', false), ev('delete', 'b')]);
    s.flush();
    expect(out.flat().map((c) => c.path).sort()).toEqual(['a', 'b']);
    expect(s.size).toBe(0);
  });
});
