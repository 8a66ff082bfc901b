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
