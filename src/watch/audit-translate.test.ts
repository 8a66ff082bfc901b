import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { FsEvent } from '../core/event.js';
import { AuditAssembler, type Assembled } from './audit-assemble.js';
import { DirIndex } from './audit-dir-index.js';
import { parseAuditRecord } from './audit-record.js';
import { normalize, toRel, translateGroup, type TranslateContext } from './audit-translate.js';

// Fixtures: records captured on this machine's kernel (6.18, x86_64) from the multicast group,
// with a rule as `auditctl -w DIR -p wa` sets it (PROCTITLE lines left out: they are not read).
//  audit-basic.txt: in /tmp/ex1 (inode 2163220), by a daemon of pid 31958: touch a; echo x > a;
//    echo y >> a; : > a; chmod 600 a; mv a b; mkdir -p d/e/f; echo z > d/e/f/g;
//    mv b /tmp/outside-b; mv /tmp/outside-b c; rm c; touch -d 2020-01-01 d/e/f/g; rm -r d
//  audit-dirfd.txt: in /tmp/ex2 (inode 2163226), by a daemon of pid 32330, python with dirfds:
//    mkdir sub; fd=open(sub); open(x, O_CREAT, dir_fd=fd); chmod(x, dir_fd=fd);
//    rename(x, y, dirfds fd); open(b"sub/caf\xe9 sp"); open(sub/z); rename(sub/z, sub/y);
//    unlink(nonexist) (fails); truncate(sub/y); symlink(target, sub/ln); link(sub/y, sub/hard);
//    utime(sub/y) (not audited with -p wa); chown(sub/y)
function groups(file: string): Assembled[] {
  const a = new AuditAssembler({ eventTimeoutMs: 100, gapWaitMs: 100, maxPendingGaps: 1000 });
  const out: Assembled[] = [];
  for (const line of readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'latin1').split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const r = parseAuditRecord(Number(line.slice(0, sp)), line.slice(sp + 1));
    if (r) a.push(r, 0, out);
  }
  a.expire(1000, out);
  return out;
}

function run(file: string, ctx: Partial<TranslateContext> & { root: string; ownPid: number; rootId: string }): FsEvent[] {
  const dirs = new DirIndex();
  dirs.set(ctx.rootId, '');
  const full: TranslateContext = { isExcluded: () => false, dirfdPath: () => undefined, dirs, ...ctx };
  const events: FsEvent[] = [];
  for (const g of groups(file)) {
    if (g.kind === 'lost') throw new Error('the fixtures have no gaps');
    events.push(...translateGroup(g.group, full, 7).events);
  }
  return events;
}

const brief = (e: FsEvent): string => `${e.kind} ${e.from !== undefined ? `${e.from} -> ` : ''}${e.path}${e.isDir ? '/' : ''}`;

describe('audit records → events (fixtures from this machine)', () => {
  it('follows the shell session of audit-basic.txt, with dirfd-relative deletes of rm -r', () => {
    const events = run('audit-basic.txt', { root: '/tmp/ex1', ownPid: 31958, rootId: 'fe:00:2163220' });
    expect(events.map(brief)).toEqual([
      'create a',
      'modify a',
      'modify a',
      'modify a',
      'attrib a',
      'move a -> b',
      'create d/',
      'create d/e/',
      'create d/e/f/',
      'create d/e/f/g',
      'delete b',
      'create c',
      'delete c',
      'modify d/e/f/g',
      'delete d/e/f/g',
      'delete d/e/f/',
      'delete d/e/',
      'delete d/',
    ]);
    expect(events[0]).toMatchObject({ pid: 31981, uid: 0, exe: '/usr/bin/touch', time: 7 });
    expect(events.every((e) => e.pid !== undefined && e.uid !== undefined && e.exe !== undefined)).toBe(true);
    expect(events.some((e) => e.closed !== undefined)).toBe(false);
  });

  it('resolves dirfds, decodes hex names to bytes, skips failed calls and its own pid (audit-dirfd.txt)', () => {
    const asked: Array<[number, number]> = [];
    const events = run('audit-dirfd.txt', {
      root: '/tmp/ex2',
      ownPid: 32330,
      rootId: 'fe:00:2163226',
      dirfdPath: (pid, fd) => {
        asked.push([pid, fd]);
        return fd === 3 ? '/tmp/ex2/sub' : undefined;
      },
    });
    expect(events.map(brief)).toEqual([
      'create sub/',
      'create sub/x',
      'attrib sub/x',
      'move sub/x -> sub/y',
      'create sub/caf\xe9 sp',
      'create sub/z',
      'move sub/z -> sub/y',
      'modify sub/y',
      'create sub/ln',
      'create sub/hard',
      'attrib sub/y',
    ]);
    expect(asked).toEqual([[32346, 3]]); // only fchmodat's NORMAL item needs /proc; parents resolve by inode
    expect(Buffer.from(events[4]!.path, 'latin1')).toEqual(Buffer.from('sub/caf\xe9 sp', 'latin1'));
  });

  it('reports only the own tree: a sibling with the root as prefix is outside', () => {
    const events = run('audit-basic.txt', { root: '/tmp/ex', ownPid: 31958, rootId: 'fe:00:1' });
    expect(events.filter((e) => e.kind !== 'overflow')).toEqual([]);
  });

  it('drops ignored writers and excluded paths', () => {
    const events = run('audit-basic.txt', {
      root: '/tmp/ex1',
      ownPid: 31958,
      rootId: 'fe:00:2163220',
      ignoreWriters: { exes: ['/usr/bin/bash'], pids: [31981] },
      isExcluded: (p) => p === 'd/e',
    });
    expect(events.map(brief)).toEqual(['attrib a', 'move a -> b', 'create d/', 'delete b', 'create c', 'delete c', 'delete d/']);
  });

  it('turns a name it cannot resolve into an overflow of the root', () => {
    const events = run('audit-dirfd.txt', { root: '/tmp/ex2', ownPid: 32330, rootId: 'fe:00:2163226' });
    expect(events.map(brief)).toContain('overflow /');
    expect(events.map(brief)).not.toContain('attrib sub/x');
  });
});

describe('paths', () => {
  it('normalizes lexically and keeps the root boundary', () => {
    expect(normalize('/a//b/./c/../d/')).toBe('/a/b/d');
    expect(toRel('/r', '/r')).toBe('');
    expect(toRel('/r/x', '/r')).toBe('x');
    expect(toRel('/rx', '/r')).toBeUndefined();
    expect(toRel('/x', '/')).toBe('x');
  });
});

describe('renames with a dirfd on both sides', () => {
  // As coreutils 9 `mv 'caf\xe9 a' d/e/` does it here: renameat2(AT_FDCWD, name, fd of d/e, name);
  // both PARENTs are printed as the cwd, told apart by inode only (records as captured, trimmed).
  const lines = [
    '1300 audit(1796226377.741:40): arch=c000003e syscall=316 success=yes exit=0 a0=ffffff9c a1=7ffd1 a2=3 a3=7ffd2 items=4 ppid=1 pid=10259 uid=0 comm="mv" exe="/usr/bin/mv" key="k"',
    '1307 audit(1796226377.741:40): cwd="/tmp/cli"',
    '1302 audit(1796226377.741:40): item=0 name="/tmp/cli" inode=20 dev=fe:00 mode=040755 nametype=PARENT',
    '1302 audit(1796226377.741:40): item=1 name="/tmp/cli" inode=22 dev=fe:00 mode=040755 nametype=PARENT',
    '1302 audit(1796226377.741:40): item=2 name=6361666520E961 inode=30 dev=fe:00 mode=0100644 nametype=DELETE',
    '1302 audit(1796226377.741:40): item=3 name=6361666520E961 inode=30 dev=fe:00 mode=0100644 nametype=CREATE',
    '1320 audit(1796226377.741:40): ',
  ];
  const translate = (order: string[], fdPath: (pid: number, fd: number) => string | undefined): string[] => {
    const a = new AuditAssembler({ eventTimeoutMs: 1, gapWaitMs: 1, maxPendingGaps: 10 });
    const out: Assembled[] = [];
    for (const l of order) {
      const sp = l.indexOf(' ');
      a.push(parseAuditRecord(Number(l.slice(0, sp)), l.slice(sp + 1))!, 0, out);
    }
    const dirs = new DirIndex();
    dirs.set('fe:00:20', '');
    dirs.set('fe:00:21', 'd');
    dirs.set('fe:00:22', 'd/e');
    const ctx: TranslateContext = { root: '/tmp/cli', ownPid: 1, isExcluded: () => false, dirs, dirfdPath: fdPath };
    return out.flatMap((g) => (g.kind === 'event' ? translateGroup(g.group, ctx, 0).events.map(brief) : []));
  };

  it('tells old from new by the dirfd that resolves, whatever the PARENT order', () => {
    expect(translate(lines, () => undefined)).toEqual(['move cafe \xe9a -> d/e/cafe \xe9a']);
    const swapped = [lines[0]!, lines[1]!, lines[3]!.replace('item=1', 'item=0'), lines[2]!.replace('item=0', 'item=1'), ...lines.slice(4)];
    expect(translate(swapped, () => undefined)).toEqual(['move cafe \xe9a -> d/e/cafe \xe9a']);
  });

  it('is an overflow when neither dirfd resolves', () => {
    const bothFds = lines.map((l) => l.replace('a0=ffffff9c', 'a0=4'));
    expect(translate(bothFds, () => undefined)).toEqual(['overflow /']);
    expect(translate(bothFds, (_pid, fd) => (fd === 4 ? '/tmp/cli' : undefined))).toEqual(['move cafe \xe9a -> d/e/cafe \xe9a']);
  });
});
