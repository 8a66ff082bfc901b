import { describe, expect, it } from 'vitest';
import type { Change } from '../core/change.js';
import { ChangeSet } from './combine.js';
import type { FsEvent } from '../core/event.js';
import { plan } from './plan.js';

const c = (path: string, over: Partial<Change> = {}): Change => ({
  path,
  recursive: false,
  isDir: false,
  deleted: false,
  first: 10,
  last: 10,
  open: false,
  ...over,
});

describe('plan', () => {
  it('sorts work into trees, writes and deletes, in byte order', () => {
    const b = plan([c('b'), c('a'), c('d', { isDir: true, recursive: true }), c('z', { deleted: true }), c('\xff'), c('B'), c('attr', { isDir: true })]);
    expect(b.trees).toEqual(['d']);
    expect(b.dirs).toEqual(['attr']);
    expect(b.writes).toEqual(['B', 'a', 'b', '\xff']);
    expect(b.deletes).toEqual(['z']);
    expect(b.changes).toBe(7);
  });

  it('reports the oldest event time', () => {
    expect(plan([c('a', { first: 7 }), c('b', { first: 3 })]).oldest).toBe(3);
  });

  it('turns rename hints into moves, keeping their targets synced and sources deleted', () => {
    const s = new ChangeSet();
    const e = (x: Partial<FsEvent>): FsEvent => ({ kind: 'move', path: '', isDir: false, time: 1, ...x });
    s.addEvent(e({ path: 'new', from: 'old' }));
    s.addEvent(e({ path: 'D2', from: 'D1', isDir: true }));
    const b = plan([...s.values()]);
    expect(b.moves).toEqual([
      { from: 'D1', to: 'D2', isDir: true },
      { from: 'old', to: 'new', isDir: false },
    ]);
    expect(b.trees).toEqual(['D2']);
    expect(b.writes).toEqual(['new']);
    expect(b.deletes).toEqual(['D1', 'old']);
  });

  it('leaves out renames that would step on each other (a swap)', () => {
    const s = new ChangeSet();
    const mv = (from: string, path: string): FsEvent => ({ kind: 'move', from, path, isDir: false, time: 1 });
    s.addEvent(mv('a', 't'));
    s.addEvent(mv('b', 'a'));
    s.addEvent(mv('t', 'b'));
    const b = plan([...s.values()]);
    expect(b.moves).toEqual([]);
    expect(b.writes).toEqual(['a', 'b']);
    expect(b.deletes).toEqual(['t']);
  });

  it('an empty queue plans nothing', () => {
    expect(plan([])).toMatchObject({ moves: [], trees: [], writes: [], dirs: [], deletes: [], changes: 0 });
  });
});
