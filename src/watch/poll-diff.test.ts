import { describe, expect, it } from 'vitest';
import type { FsEvent } from '../core/event.js';
import { diffSnapshots, type PollEntry, type Snapshot } from './poll-diff.js';

/** One entry in a table: its inode, type (f file, d directory, l symlink) and what may change. */
interface Spec {
  ino: number;
  t?: 'f' | 'd' | 'l';
  size?: number;
  mtime?: number;
  ctime?: number;
  perm?: number;
  uid?: number;
  dev?: number;
  btime?: number;
}

const TYPE = { f: 0o100000, d: 0o040000, l: 0o120000 } as const;

function entry(s: Spec): PollEntry {
  return {
    dev: s.dev ?? 1,
    ino: BigInt(s.ino),
    mode: TYPE[s.t ?? 'f'] | (s.perm ?? 0o644),
    uid: s.uid ?? 0,
    gid: 0,
    size: s.size ?? 0,
    mtimeNs: BigInt(s.mtime ?? 1),
    ctimeNs: BigInt(s.ctime ?? 1),
    btimeNs: BigInt(s.btime ?? 0),
  };
}

/** A snapshot: the root (inode 1) plus the entries given. */
function snap(entries: Record<string, Spec>): Snapshot {
  const m: Snapshot = new Map([['', entry({ ino: 1, t: 'd' })]]);
  for (const [p, s] of Object.entries(entries)) m.set(p, entry(s));
  return m;
}

/** Events as short strings: `kind path`, `move from>path`, `/` after a directory. */
function show(events: FsEvent[]): string[] {
  return events.map((e) => `${e.kind} ${e.from !== undefined ? `${e.from}>` : ''}${e.path}${e.isDir ? '/' : ''}`);
}

const f = (ino: number, more: Omit<Spec, 'ino'> = {}): Spec => ({ ino, t: 'f', ...more });
const d = (ino: number, more: Omit<Spec, 'ino'> = {}): Spec => ({ ino, t: 'd', ...more });
const l = (ino: number, more: Omit<Spec, 'ino'> = {}): Spec => ({ ino, t: 'l', ...more });

type Row = [name: string, prev: Record<string, Spec>, next: Record<string, Spec>, expected: string[]];

const ROWS: Row[] = [
  ['nothing changed', { a: f(2), d: d(3), 'd/b': f(4) }, { a: f(2), d: d(3), 'd/b': f(4) }, []],
  ['a new file', {}, { a: f(2) }, ['create a']],
  ['a new symlink', {}, { l: l(2) }, ['create l']],
  ['a new directory with contents: only the top', {}, { p: d(2), 'p/q': d(3), 'p/q/r': d(4), 'p/q/r/x': f(5) }, ['create p/']],
  ['a file grew', { a: f(2, { size: 1 }) }, { a: f(2, { size: 5 }) }, ['modify a']],
  ['a file was rewritten at the same size', { a: f(2, { size: 3, mtime: 1 }) }, { a: f(2, { size: 3, mtime: 2 }) }, ['modify a']],
  ['a file was truncated', { a: f(2, { size: 9 }) }, { a: f(2, { size: 0, mtime: 2 }) }, ['modify a']],
  ['chmod of a file', { a: f(2) }, { a: f(2, { perm: 0o600, ctime: 2 }) }, ['attrib a']],
  ['chown of a file', { a: f(2) }, { a: f(2, { uid: 1000, ctime: 2 }) }, ['attrib a']],
  ['only the ctime of a file (xattr, a new hard link)', { a: f(2) }, { a: f(2, { ctime: 2 }) }, ['attrib a']],
  ['chmod of a directory', { d: d(2) }, { d: d(2, { perm: 0o700, ctime: 2 }) }, ['attrib d/']],
  ['utimes of a directory (no entry came or went)', { d: d(2) }, { d: d(2, { mtime: 5, ctime: 2 }) }, ['attrib d/']],
  [
    'a directory whose entries changed: its times are no attrib',
    { d: d(2) },
    { d: d(2, { mtime: 5, ctime: 5 }), 'd/x': f(3) },
    ['create d/x'],
  ],
  ['root times change with a new entry: no attrib of the root', {}, { x: f(2) }, ['create x']],
  ['a deleted file', { a: f(2) }, {}, ['delete a']],
  ['a deleted tree: only the top', { d: d(2), 'd/e': d(3), 'd/e/x': f(4), 'd/y': f(5) }, {}, ['delete d/']],
  ['a file renamed', { a: f(2) }, { b: f(2) }, ['move a>b']],
  ['a file renamed and then written', { a: f(2, { size: 1 }) }, { b: f(2, { size: 7, mtime: 2 }) }, ['move a>b', 'modify b']],
  ['a file renamed and chmodded', { a: f(2) }, { b: f(2, { perm: 0o600, ctime: 2 }) }, ['move a>b', 'attrib b']],
  ['a rename alone changes ctime: no attrib', { a: f(2) }, { b: f(2, { ctime: 9 }) }, ['move a>b']],
  ['a file renamed across directories', { a: d(2), b: d(3), 'a/x': f(4) }, { a: d(2), b: d(3), 'b/y': f(4) }, ['move a/x>b/y']],
  ['a rename over an existing file', { a: f(2), b: f(3) }, { b: f(2) }, ['move a>b']],
  ['a directory renamed: its entries go with it', { d: d(2), 'd/e': d(3), 'd/e/x': f(4) }, { D: d(2), 'D/e': d(3), 'D/e/x': f(4) }, ['move d>D/']],
  [
    'a directory renamed and written into: covered by the move',
    { d: d(2), 'd/e': d(3), 'd/e/x': f(4) },
    { D: d(2), 'D/e': d(3, { ctime: 3 }), 'D/e/x': f(4, { size: 5, mtime: 2 }), 'D/e/after': f(5) },
    ['move d>D/'],
  ],
  ['a directory renamed and an entry deleted in it', { d: d(2), 'd/x': f(3), 'd/y': f(4) }, { D: d(2), 'D/x': f(3) }, ['move d>D/']],
  [
    'a file moved out of a directory that then moved: the file first',
    { A: d(2), 'A/x': f(3) },
    { B: d(2), C: f(3) },
    ['move A/x>C', 'move A>B/'],
  ],
  ['a file moved into a directory that moved: the directory first', { A: d(2), x: f(3) }, { B: d(2), 'B/x': f(3) }, ['move A>B/', 'move x>B/x']],
  ['a file moved into a new directory', { x: f(3) }, { N: d(2), 'N/x': f(3) }, ['move x>N/x', 'create N/']],
  ['a file moved out of a directory that was deleted', { A: d(2), 'A/x': f(3), 'A/y': f(4) }, { C: f(3) }, ['move A/x>C', 'delete A/']],
  [
    'rotation (log.1 → log.2, log → log.1, new log): away before onto',
    { log: f(2), 'log.1': f(3), 'log.2': f(4) },
    { log: f(5), 'log.1': f(2), 'log.2': f(3) },
    ['move log.1>log.2', 'move log>log.1', 'create log'],
  ],
  ['a swap (a cycle): one move is given up for a create', { a: f(2), b: f(3) }, { a: f(3), b: f(2) }, ['move b>a', 'create b']],
  ['a moved directory: its entry renamed inside it', { A: d(2), 'A/x': f(3) }, { B: d(2), 'B/y': f(3) }, ['move A>B/', 'create B/y']],
  ['a hard link: a new path, the old one stays (its ctime changes)', { a: f(2) }, { a: f(2, { ctime: 2 }), b: f(2, { ctime: 2 }) }, ['create b', 'attrib a']],
  ['a hard link removed: the other stays', { a: f(2), b: f(2) }, { a: f(2, { ctime: 2 }) }, ['delete b', 'attrib a']],
  ['a file replaced by a directory: delete + create', { a: f(2) }, { a: d(3), 'a/x': f(4) }, ['delete a', 'create a/']],
  ['a directory replaced by a file', { a: d(2), 'a/x': f(3) }, { a: f(4) }, ['delete a/', 'create a']],
  ['a file replaced by a symlink', { a: f(2) }, { a: l(3) }, ['delete a', 'create a']],
  ['a file deleted and made again (new inode)', { a: f(2) }, { a: f(3) }, ['delete a', 'create a']],
  ['a file deleted and made again (inode reused): a modify', { a: f(2, { size: 4 }) }, { a: f(2, { size: 1, mtime: 2 }) }, ['modify a']],
  ['a directory replaced by a new one', { d: d(2), 'd/x': f(3) }, { d: d(4), 'd/y': f(5) }, ['delete d/', 'create d/']],
  ['a directory moved over an empty one', { a: d(2), 'a/x': f(3), b: d(4) }, { b: d(2), 'b/x': f(3) }, ['move a>b/']],
  ['no birth time (NFS): an inode reused by a new file elsewhere is move + modify, still right', { a: f(2, { size: 3 }) }, { b: f(2, { size: 8, mtime: 9 }) }, ['move a>b', 'modify b']],
  ['a reused inode number with another birth time is another object', { a: f(2, { btime: 5 }) }, { b: f(2, { btime: 6 }) }, ['delete a', 'create b']],
  ['a reused inode number at the same path, another birth time: delete + create', { a: f(2, { btime: 5 }) }, { a: f(2, { btime: 6 }) }, ['delete a', 'create a']],
  ['a rename keeps the birth time', { a: f(2, { btime: 5 }) }, { b: f(2, { btime: 5 }) }, ['move a>b']],
  ['same inode on another device is another object', { a: f(2, { dev: 1 }) }, { b: f(2, { dev: 2 }) }, ['delete a', 'create b']],
  ['a tree moved in from outside', {}, { in: d(7), 'in/u': d(8), 'in/u/x': f(9) }, ['create in/']],
  ['a tree moved out', { t: d(2), 't/u': d(3), 't/u/x': f(4) }, {}, ['delete t/']],
  ['non-UTF-8 bytes in a name', { '\xff\xfe': f(2) }, { '\xff\xfe': f(2, { size: 1, mtime: 2 }), '\x80x': f(3) }, ['create \x80x', 'modify \xff\xfe']],
  ['chmod of the root', {}, {}, []],
];

describe('diffSnapshots', () => {
  it.each(ROWS)('%s', (_name, prev, next, expected) => {
    expect(show(diffSnapshots(snap(prev), snap(next), 42))).toEqual(expected);
  });

  it('reports a chmod of the root, but not its times when an entry came or went', () => {
    const before = snap({});
    const chmod = snap({});
    chmod.set('', entry({ ino: 1, t: 'd', perm: 0o700, ctime: 2 }));
    expect(show(diffSnapshots(before, chmod, 0))).toEqual(['attrib /']);
    const utimes = snap({});
    utimes.set('', entry({ ino: 1, t: 'd', mtime: 3, ctime: 3 }));
    expect(show(diffSnapshots(before, utimes, 0))).toEqual(['attrib /']);
  });

  it('stamps every event with the time given, and sets no `closed`', () => {
    const events = diffSnapshots(snap({ a: f(2), b: f(3) }), snap({ a: f(2, { size: 1, mtime: 2 }), c: f(3) }), 1234);
    expect(events.map((e) => e.time)).toEqual([1234, 1234]);
    expect(events.every((e) => !('closed' in e))).toBe(true);
  });

  it('pairs hard links one to one when both paths move', () => {
    expect(show(diffSnapshots(snap({ a: f(2), b: f(2) }), snap({ c: f(2), d: f(2) }), 0))).toEqual(['move a>c', 'move b>d']);
  });

  it('a rename chain longer than the stack (30,000 moves; a recursive search overflows near 9,000 here) is ordered', () => {
    const prev = snap({});
    const next = snap({});
    const n = 30_000;
    for (let i = 0; i < n; i++) {
      prev.set(`f${i}`, entry(f(10 + i)));
      next.set(`f${i + 1}`, entry(f(10 + i))); // every file moves one place up: f(i) → f(i+1)
    }
    const events = diffSnapshots(prev, next, 0);
    expect(events.length).toBe(n);
    expect(show([events[0] as FsEvent, events[n - 1] as FsEvent])).toEqual([`move f${n - 1}>f${n}`, 'move f0>f1']);
  });

  it('a moved tree of 30,000 entries is one move', () => {
    const prev = snap({ a: d(2) });
    const next = snap({ b: d(2) });
    for (let i = 0; i < 30_000; i++) {
      prev.set(`a/${i}`, entry(f(10 + i)));
      next.set(`b/${i}`, entry(f(10 + i)));
    }
    expect(show(diffSnapshots(prev, next, 0))).toEqual(['move a>b/']);
  });
});
