import { describe, expect, it } from 'vitest';
import type { Change } from '../core/change.js';
import { ChangeSet, foldEvent, mergeChange } from './combine.js';
import type { EventKind, FsEvent } from '../core/event.js';

const ev = (kind: EventKind, path: string, extra: Partial<FsEvent> = {}): FsEvent => ({
  kind,
  path,
  isDir: false,
  time: 0,
  ...extra,
});

/** The essentials of a change, for table comparisons. */
const shape = (c: Change | undefined) =>
  c && {
    recursive: c.recursive,
    deleted: c.deleted,
    open: c.open,
    isDir: c.isDir,
    ...(c.from !== undefined ? { from: c.from } : {}),
  };

describe('foldEvent: one path, cell by cell', () => {
  const W = { recursive: false, deleted: false, open: false, isDir: false };
  const write = foldEvent(undefined, ev('modify', 'f', { closed: true }));
  const open = foldEvent(undefined, ev('modify', 'f', { closed: false }));
  const tree = foldEvent(undefined, ev('create', 'd', { isDir: true }));
  const gone = foldEvent(undefined, ev('delete', 'f'));
  const cases: [string, Change | undefined, FsEvent, ReturnType<typeof shape>][] = [
    ['none + create file (open until closed)', undefined, ev('create', 'f', { closed: false }), { ...W, open: true }],
    ['none + create symlink (complete)', undefined, ev('create', 'f', { closed: true }), W],
    ['none + create dir → recursive', undefined, ev('create', 'd', { isDir: true }), { ...W, isDir: true, recursive: true }],
    ['none + modify not closed → open', undefined, ev('modify', 'f', { closed: false }), { ...W, open: true }],
    ['none + modify closed → write', undefined, ev('modify', 'f', { closed: true }), W],
    ['none + modify, source cannot tell → open', undefined, ev('modify', 'f'), { ...W, open: true }],
    ['none + attrib → write', undefined, ev('attrib', 'f'), W],
    ['none + delete → delete', undefined, ev('delete', 'f'), { ...W, deleted: true }],
    ['none + overflow → recursive', undefined, ev('overflow', 'd', { isDir: true }), { ...W, isDir: true, recursive: true }],
    ['write + modify open → open', write, ev('modify', 'f', { closed: false }), { ...W, open: true }],
    ['open + close → write', open, ev('modify', 'f', { closed: true }), W],
    ['open + attrib → still open', open, ev('attrib', 'f'), { ...W, open: true }],
    ['create (close unknown) + modify open → open and known', foldEvent(undefined, ev('create', 'f')), ev('modify', 'f', { closed: false }), { ...W, open: true }],
    ['write + delete → delete', write, ev('delete', 'f'), { ...W, deleted: true }],
    ['create + delete → delete (an in-flight sync may have copied it)', foldEvent(undefined, ev('create', 'f')), ev('delete', 'f'), { ...W, deleted: true }],
    ['recursive + attrib → recursive', tree, ev('attrib', 'd', { isDir: true }), { ...W, isDir: true, recursive: true }],
    ['recursive + delete → delete', tree, ev('delete', 'd', { isDir: true }), { ...W, isDir: true, deleted: true }],
    ['delete + create file → write', gone, ev('create', 'f', { closed: true }), W],
    ['delete + create dir → recursive', gone, ev('create', 'f', { isDir: true }), { ...W, isDir: true, recursive: true }],
    ['delete + modify → write', gone, ev('modify', 'f', { closed: true }), W],
  ];
  it.each(cases)('%s', (_name, prev, event, want) => {
    expect(shape(foldEvent(prev, event))).toEqual(want);
  });

  it('keeps the time of the first event and takes the last', () => {
    const a = foldEvent(undefined, ev('create', 'f', { time: 10 }));
    const b = foldEvent(a, ev('modify', 'f', { time: 25, closed: true }));
    expect([b.first, b.last]).toEqual([10, 25]);
  });
});

describe('mergeChange: a replica queue folding released changes', () => {
  const c = (over: Partial<Change>): Change => ({
    path: 'p',
    recursive: false,
    isDir: false,
    deleted: false,
    first: 0,
    last: 0,
    open: false,
    ...over,
  });
  it.each<[string, Change, Change, ReturnType<typeof shape>]>([
    ['write + delete → delete', c({}), c({ deleted: true }), shape(c({ deleted: true }))],
    ['delete + write → write', c({ deleted: true }), c({}), shape(c({}))],
    ['recursive dir + write of the dir → stays recursive', c({ isDir: true, recursive: true }), c({ isDir: true }), shape(c({ isDir: true, recursive: true }))],
    ['recursive dir + delete → delete, not recursive', c({ isDir: true, recursive: true }), c({ isDir: true, deleted: true }), shape(c({ isDir: true, deleted: true }))],
    ['renamed + write → keeps the hint', c({ from: 'a' }), c({}), shape(c({ from: 'a' }))],
    ['renamed + delete → drops the hint', c({ from: 'a' }), c({ deleted: true }), shape(c({ deleted: true }))],
    ['write + renamed onto → the rename', c({}), c({ from: 'b' }), shape(c({ from: 'b' }))],
    ['dir recursive + file write (type changed) → not recursive', c({ isDir: true, recursive: true, deleted: true }), c({}), shape(c({}))],
  ])('%s', (_n, prev, next, want) => {
    expect(shape(mergeChange(prev, next))).toEqual(want);
  });

  it('spans both changes in time', () => {
    const m = mergeChange(c({ first: 5, last: 7 }), c({ first: 9, last: 12 }));
    expect([m.first, m.last]).toEqual([5, 12]);
  });
});

describe('ChangeSet: set-level rules', () => {
  const setOf = (...events: FsEvent[]) => {
    const s = new ChangeSet();
    for (const e of events) s.addEvent(e);
    return s;
  };
  const paths = (s: ChangeSet) => [...s.values()].map((c) => c.path).sort();

  it('a new directory covers what is written below it', () => {
    const s = setOf(
      ev('create', 'a', { isDir: true, time: 1 }),
      ev('create', 'a/b', { isDir: true, time: 2 }),
      ev('create', 'a/b/f', { time: 3, closed: false }),
      ev('modify', 'a/b/f', { time: 4, closed: false }),
    );
    expect(paths(s)).toEqual(['a']);
    expect(s.get('a')).toMatchObject({ recursive: true, first: 1, last: 4, open: true });
    s.addEvent(ev('modify', 'a/b/f', { time: 5, closed: true }));
    expect(s.get('a')).toMatchObject({ last: 5, open: false });
  });

  it('a new directory is open exactly while a file below it is being written', () => {
    const s = setOf(ev('create', 'd', { isDir: true, time: 1 }), ev('create', 'd/a', { closed: false, time: 2 }), ev('create', 'd/b', { closed: false, time: 3 }));
    expect(s.get('d')?.open).toBe(true);
    s.addEvent(ev('modify', 'd/a', { closed: true, time: 4 }));
    expect(s.get('d')?.open).toBe(true);
    s.addEvent(ev('delete', 'd/b', { time: 5 }));
    expect(s.get('d')?.open).toBe(false);
    s.addEvent(ev('modify', 'd/c', { closed: false, time: 6 }));
    s.addEvent(ev('delete', 'd', { isDir: true, time: 7 }));
    s.addEvent(ev('create', 'd', { isDir: true, time: 8 }));
    expect(s.get('d')?.open).toBe(false);
  });

  it('a new directory that absorbs pending writes below it inherits their open state', () => {
    const s = setOf(ev('modify', 'x/y/f', { closed: false, time: 1 }), ev('modify', 'x/g', { closed: true, time: 2 }), ev('overflow', 'x', { isDir: true, time: 3 }));
    expect(s.get('x')).toMatchObject({ recursive: true, open: true, first: 1 });
    s.addEvent(ev('modify', 'x/y/f', { closed: true, time: 4 }));
    expect(s.get('x')?.open).toBe(false);
  });

  it('a directory delete swallows its children', () => {
    const s = setOf(ev('modify', 'd/x', { closed: true }), ev('modify', 'd/y/z', { closed: true }), ev('modify', 'e', { closed: true }));
    s.addEvent(ev('delete', 'd', { isDir: true }));
    expect(paths(s)).toEqual(['d', 'e']);
    expect(s.get('d')).toMatchObject({ deleted: true });
  });

  it('a sibling with a common prefix is not a child', () => {
    const s = setOf(ev('modify', 'ab', { closed: true }), ev('create', 'a', { isDir: true }));
    expect(paths(s)).toEqual(['a', 'ab']);
  });

  it('a rename deletes the old path and hints the new one', () => {
    const s = setOf(ev('move', 'new', { from: 'old', time: 3 }));
    expect(s.get('old')).toMatchObject({ deleted: true });
    expect(s.get('new')).toMatchObject({ from: 'old', deleted: false, recursive: false });
  });

  it('folds rename chains: a→b→c is a→c', () => {
    const s = setOf(ev('move', 'b', { from: 'a' }), ev('move', 'c', { from: 'b' }));
    expect(s.get('c')?.from).toBe('a');
    expect(s.get('a')?.deleted).toBe(true);
    expect(s.get('b')?.deleted).toBe(true);
  });

  it('a renamed directory is synced recursively and replaces pending work below both ends', () => {
    const s = setOf(
      ev('modify', 'src/f', { closed: true, time: 1 }),
      ev('modify', 'dst/g', { closed: true, time: 2 }),
      ev('move', 'dst', { from: 'src', isDir: true, time: 3 }),
    );
    expect(paths(s)).toEqual(['dst', 'src']);
    expect(s.get('dst')).toMatchObject({ recursive: true, from: 'src', isDir: true });
    expect(s.get('src')).toMatchObject({ deleted: true, isDir: true });
  });

  it('a rename keeps the lag of work pending on the old path', () => {
    const s = setOf(ev('modify', 'a', { closed: true, time: 1 }), ev('move', 'b', { from: 'a', time: 9 }));
    expect(s.get('b')?.first).toBe(1);
  });

  it('overflow of the root collapses everything into one recursive sync', () => {
    const s = setOf(ev('modify', 'x', { closed: true, time: 2 }), ev('delete', 'y/z', { time: 3 }), ev('overflow', '', { isDir: true, time: 4 }));
    expect(paths(s)).toEqual(['']);
    expect(s.get('')).toMatchObject({ recursive: true, first: 2 });
    s.addEvent(ev('modify', 'q', { closed: true, time: 6 }));
    expect(paths(s)).toEqual(['']);
  });

  it('collapseToRoot keeps the oldest time', () => {
    const s = setOf(ev('modify', 'x', { closed: true, time: 2 }), ev('modify', 'y', { closed: true, time: 5 }));
    s.collapseToRoot(7);
    expect(paths(s)).toEqual(['']);
    expect(s.get('')).toMatchObject({ first: 2, last: 7, recursive: true });
  });

  it('take() removes what it returns', () => {
    const s = setOf(ev('modify', 'x', { closed: true }), ev('modify', 'y', { closed: false }));
    const done = s.take((c) => !c.open);
    expect(done.map((c) => c.path)).toEqual(['x']);
    expect(paths(s)).toEqual(['y']);
  });

  it('keeps one entry per path under a burst', () => {
    const s = new ChangeSet();
    for (let i = 0; i < 1000; i++) s.addEvent(ev('modify', `f${i % 10}`, { closed: i % 2 === 0, time: i }));
    expect(s.size).toBe(10);
  });
});
