import { describe, expect, it } from 'vitest';
import * as enc from '../../../test/support/bsm-encode.js';
import type { FsEvent } from '../../core/event.js';
import { decodeBsm } from './bsm-decode.js';
import { AUE } from './bsm-events.js';
import { BsmTranslator, type BsmTranslateOptions } from './bsm-translate.js';

const ROOT = '/srv/www';
const T = 5000;
const PID = 321;

function run(records: Buffer[], opts: Partial<BsmTranslateOptions> = {}, translator = new BsmTranslator({ root: ROOT, ...opts })): Omit<FsEvent, 'time'>[] {
  const r = decodeBsm(Buffer.concat(records));
  expect(r.errors).toEqual([]);
  return translator.translate(r.items, T).map(({ time, ...e }) => {
    expect(time).toBe(T);
    return e;
  });
}

const who = { pid: PID, uid: 1001 };
const call = (event: number, paths: string[], more: Buffer[] = [], o: { error?: number; ret?: number; pid?: number; euid?: number } = {}) =>
  enc.syscall(event, o.pid ?? PID, [...more, ...paths.map((p) => enc.path(p))], o);

describe('BsmTranslator: one call → its events, cell by cell', () => {
  it.each([
    ['creat', AUE.CREAT, ['/srv/www/a'], [{ kind: 'create', path: 'a', isDir: false }]],
    ['mknod', AUE.MKNOD, ['/srv/www/dev'], [{ kind: 'create', path: 'dev', isDir: false }]],
    ['mknodat', AUE.MKNODAT, ['/srv/www/dev'], [{ kind: 'create', path: 'dev', isDir: false }]],
    ['mkfifo', AUE.MKFIFO, ['/srv/www/p'], [{ kind: 'create', path: 'p', isDir: false }]],
    ['mkdir', AUE.MKDIR, ['/srv/www/d'], [{ kind: 'create', path: 'd', isDir: true }]],
    ['mkdirat', AUE.MKDIRAT, ['/srv/www/d/e'], [{ kind: 'create', path: 'd/e', isDir: true }]],
    ['symlink (new name is the path, target a text token)', AUE.SYMLINK, ['/srv/www/l'], [{ kind: 'create', path: 'l', isDir: false }]],
    ['symlinkat', AUE.SYMLINKAT, ['/srv/www/l'], [{ kind: 'create', path: 'l', isDir: false }]],
    ['link: the second path is the new name', AUE.LINK, ['/srv/www/a', '/srv/www/b'], [{ kind: 'create', path: 'b', isDir: false }]],
    ['linkat from outside', AUE.LINKAT, ['/tmp/a', '/srv/www/b'], [{ kind: 'create', path: 'b', isDir: false }]],
    ['link to outside', AUE.LINK, ['/srv/www/a', '/tmp/b'], []],
    ['open O_WRONLY', AUE.OPEN_W, ['/srv/www/a'], [{ kind: 'modify', path: 'a', isDir: false }]],
    ['open O_WRONLY|O_CREAT', AUE.OPEN_WC, ['/srv/www/a'], [{ kind: 'create', path: 'a', isDir: false }]],
    ['open O_WRONLY|O_TRUNC', AUE.OPEN_WT, ['/srv/www/a'], [{ kind: 'modify', path: 'a', isDir: false }]],
    ['open O_WRONLY|O_CREAT|O_TRUNC', AUE.OPEN_WTC, ['/srv/www/a'], [{ kind: 'create', path: 'a', isDir: false }]],
    ['open O_RDWR', AUE.OPEN_RW, ['/srv/www/a'], [{ kind: 'modify', path: 'a', isDir: false }]],
    ['open O_RDWR|O_CREAT', AUE.OPEN_RWC, ['/srv/www/a'], [{ kind: 'create', path: 'a', isDir: false }]],
    ['open O_RDWR|O_TRUNC', AUE.OPEN_RWT, ['/srv/www/a'], [{ kind: 'modify', path: 'a', isDir: false }]],
    ['open O_RDWR|O_CREAT|O_TRUNC', AUE.OPEN_RWTC, ['/srv/www/a'], [{ kind: 'create', path: 'a', isDir: false }]],
    ['open O_RDONLY', AUE.OPEN_R, ['/srv/www/a'], []],
    ['open O_RDONLY|O_CREAT', AUE.OPEN_RC, ['/srv/www/a'], [{ kind: 'create', path: 'a', isDir: false }]],
    ['open O_RDONLY|O_TRUNC', AUE.OPEN_RT, ['/srv/www/a'], [{ kind: 'modify', path: 'a', isDir: false }]],
    ['openat O_WRONLY|O_CREAT', AUE.OPENAT_WC, ['/srv/www/a'], [{ kind: 'create', path: 'a', isDir: false }]],
    ['openat O_RDWR', AUE.OPENAT_RW, ['/srv/www/a'], [{ kind: 'modify', path: 'a', isDir: false }]],
    ['openat O_RDONLY', AUE.OPENAT_R, ['/srv/www/a'], []],
    ['truncate', AUE.TRUNCATE, ['/srv/www/a'], [{ kind: 'modify', path: 'a', isDir: false }]],
    ['chmod', AUE.CHMOD, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['fchmodat', AUE.FCHMODAT, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['lchmod', AUE.LCHMOD, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['chown', AUE.CHOWN, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['lchown', AUE.LCHOWN, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['fchownat', AUE.FCHOWNAT, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['utimes', AUE.UTIMES, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['utimensat (AUE_FUTIMESAT)', AUE.FUTIMESAT, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['lutimes', AUE.LUTIMES, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['chflags', AUE.CHFLAGS, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['extattr_set_file', AUE.EXTATTR_SET_FILE, ['/srv/www/a'], [{ kind: 'attrib', path: 'a', isDir: false }]],
    ['unlink', AUE.UNLINK, ['/srv/www/a'], [{ kind: 'delete', path: 'a', isDir: false }]],
    ['unlinkat', AUE.UNLINKAT, ['/srv/www/a'], [{ kind: 'delete', path: 'a', isDir: false }]],
    ['rmdir', AUE.RMDIR, ['/srv/www/d'], [{ kind: 'delete', path: 'd', isDir: true }]],
    ['rename inside', AUE.RENAME, ['/srv/www/a', '/srv/www/d/b'], [{ kind: 'move', from: 'a', path: 'd/b', isDir: true }]],
    ['renameat inside', AUE.RENAMEAT, ['/srv/www/a', '/srv/www/b'], [{ kind: 'move', from: 'a', path: 'b', isDir: true }]],
    ['rename out', AUE.RENAME, ['/srv/www/a', '/tmp/a'], [{ kind: 'delete', path: 'a', isDir: true }]],
    ['rename in', AUE.RENAME, ['/tmp/a', '/srv/www/a'], [{ kind: 'create', path: 'a', isDir: true }]],
    ['rename elsewhere', AUE.RENAME, ['/tmp/a', '/tmp/b'], []],
    ['the root itself', AUE.CHMOD, ['/srv/www'], [{ kind: 'attrib', path: '', isDir: false }]],
    ['a sibling sharing the prefix', AUE.CREAT, ['/srv/www2/a'], []],
    ['a parent', AUE.CHMOD, ['/srv'], []],
    ['"//", "." and ".." folded', AUE.CREAT, ['/srv//www/./x/../a'], [{ kind: 'create', path: 'a', isDir: false }]],
    ['".." leaving the tree', AUE.CREAT, ['/srv/www/../a'], []],
    ['an event it does not act on (execve)', AUE.EXECVE, ['/srv/www/bin'], []],
  ] as const)('%s', (_name, event, paths, want) => {
    expect(run([call(event, [...paths])])).toEqual(want.map((e) => ({ ...e, ...who })));
  });

  it('a failed call (return error ≠ 0) is ignored, whatever it is', () => {
    for (const event of [AUE.CREAT, AUE.OPEN_WC, AUE.UNLINK, AUE.MKDIR, AUE.CHMOD, AUE.TRUNCATE])
      expect(run([call(event, ['/srv/www/a'], [], { error: 13, ret: -1 })])).toEqual([]);
    expect(run([call(AUE.RENAME, ['/srv/www/a', '/srv/www/b'], [], { error: 2, ret: -1 })])).toEqual([]);
  });

  it('stamps the subject pid and effective uid (not the audit uid)', () => {
    const rec = enc.bsmRecord(AUE.CREAT, [enc.path('/srv/www/a'), enc.subject32({ ...enc.subjectOf(77), auid: 4294967295, euid: 80, ruid: 0 }), enc.return32(0, 3)]);
    expect(run([rec])).toEqual([{ kind: 'create', path: 'a', isDir: false, pid: 77, uid: 80 }]);
  });

  it('the root "/" holds everything', () => {
    expect(run([call(AUE.CREAT, ['/etc/x'])], { root: '/' })).toEqual([{ kind: 'create', path: 'etc/x', isDir: false, ...who }]);
  });

  it('a root given with a trailing slash', () => {
    expect(run([call(AUE.CREAT, ['/srv/www/a'])], { root: '/srv/www/' })).toEqual([{ kind: 'create', path: 'a', isDir: false, ...who }]);
  });

  it('a root whose name is UTF-8 matches the bytes of audit paths', () => {
    const p = Buffer.from('/srv/wéb/ä', 'utf8');
    expect(run([enc.syscall(AUE.CREAT, PID, [enc.path(p)])], { root: '/srv/wéb' })).toEqual([{ kind: 'create', path: Buffer.from('ä', 'utf8').toString('latin1'), isDir: false, ...who }]);
  });
});

describe('BsmTranslator: writers, excludes, unplaceable paths', () => {
  it('drops its own pid and the writers ignoreWriters names', () => {
    expect(run([call(AUE.CREAT, ['/srv/www/a'])], { ownPid: PID })).toEqual([]);
    expect(run([call(AUE.CREAT, ['/srv/www/a'])], { ignoreWriters: { uids: [1001] } })).toEqual([]);
    expect(run([call(AUE.CREAT, ['/srv/www/a'])], { ignoreWriters: { pids: [PID + 1] } })).toHaveLength(1);
  });

  it('drops excluded paths; a rename onto an excluded name is a delete, from one a create', () => {
    const isExcluded = (p: string) => p.endsWith('.tmp');
    expect(run([call(AUE.CREAT, ['/srv/www/a.tmp'])], { isExcluded })).toEqual([]);
    expect(run([call(AUE.RENAME, ['/srv/www/a.tmp', '/srv/www/a'])], { isExcluded })).toEqual([{ kind: 'create', path: 'a', isDir: true, ...who }]);
    expect(run([call(AUE.RENAME, ['/srv/www/a', '/srv/www/a.tmp'])], { isExcluded })).toEqual([{ kind: 'delete', path: 'a', isDir: true, ...who }]);
  });

  it('an empty or relative path (the kernel could not canonicalize it) becomes one overflow of the root per batch', () => {
    const t = new BsmTranslator({ root: ROOT });
    const out = run([call(AUE.CREAT, ['']), call(AUE.UNLINK, ['rel/a']), call(AUE.CREAT, ['/srv/www/b'])], {}, t);
    expect(out).toEqual([{ kind: 'overflow', path: '', isDir: true }, { kind: 'create', path: 'b', isDir: false, ...who }]);
    expect(t.overflows).toBe(1);
  });

  it('a failed call with a relative path is still ignored (no overflow)', () => {
    expect(run([call(AUE.CREAT, ['rel'], [], { error: 2 })])).toEqual([]);
  });
});

describe('BsmTranslator: open for writing, then close', () => {
  const fd = (n: number) => enc.arg32(1, 'fd', n);

  it('open-for-write then close = create, then modify when the writer is done', () => {
    const t = new BsmTranslator({ root: ROOT });
    expect(run([call(AUE.OPEN_WTC, ['/srv/www/up.bin'], [], { ret: 5 }), enc.syscall(AUE.CLOSE, PID, [fd(5)])], {}, t)).toEqual([
      { kind: 'create', path: 'up.bin', isDir: false, ...who },
      { kind: 'modify', path: 'up.bin', isDir: false, ...who },
    ]);
    expect(t.openFiles).toBe(0);
  });

  it('closes by the same fd number in another process, or of a read-only open, say nothing', () => {
    const t = new BsmTranslator({ root: ROOT });
    expect(run([call(AUE.OPEN_W, ['/srv/www/a'], [], { ret: 5 }), enc.syscall(AUE.CLOSE, PID + 1, [fd(5)]), call(AUE.OPEN_R, ['/srv/www/b'], [], { ret: 6 }), enc.syscall(AUE.CLOSE, PID, [fd(6)])], {}, t)).toEqual([
      { kind: 'modify', path: 'a', isDir: false, ...who },
    ]);
  });

  it('fd-based calls (ftruncate, fchmod, futimens) are placed through the open fd', () => {
    const t = new BsmTranslator({ root: ROOT });
    const attr = enc.attr32({ mode: 0o644, uid: 1, gid: 1, fsid: 1, nodeid: 9n, dev: 0n });
    expect(
      run(
        [
          call(AUE.OPEN_RW, ['/srv/www/a'], [], { ret: 4 }),
          enc.syscall(AUE.FTRUNCATE, PID, [fd(4), attr]),
          enc.syscall(AUE.FCHMOD, PID, [enc.arg32(2, 'new file mode', 0o600), fd(4), attr]),
          enc.syscall(AUE.FUTIMES, PID, [fd(4), attr]),
          enc.syscall(AUE.FUTIMES, PID, [fd(9), attr]),
        ],
        {},
        t,
      ),
    ).toEqual([
      { kind: 'modify', path: 'a', isDir: false, ...who },
      { kind: 'modify', path: 'a', isDir: false, ...who },
      { kind: 'attrib', path: 'a', isDir: false, ...who },
      { kind: 'attrib', path: 'a', isDir: false, ...who },
    ]);
  });

  it('a file renamed while open is closed under its new name; a deleted one is forgotten', () => {
    const t = new BsmTranslator({ root: ROOT });
    const out = run(
      [
        call(AUE.OPEN_WC, ['/srv/www/.part'], [], { ret: 3 }),
        call(AUE.RENAME, ['/srv/www/.part', '/srv/www/final']),
        enc.syscall(AUE.CLOSE, PID, [fd(3)]),
        call(AUE.OPEN_WC, ['/srv/www/gone'], [], { ret: 4 }),
        call(AUE.UNLINK, ['/srv/www/gone']),
        enc.syscall(AUE.CLOSE, PID, [fd(4)]),
      ],
      {},
      t,
    );
    expect(out.map((e) => `${e.kind} ${e.path}`)).toEqual(['create .part', 'move final', 'modify final', 'create gone', 'delete gone']);
  });

  it('the generic AUE_OPEN reads O_ACCMODE, O_CREAT and O_TRUNC from its flags argument', () => {
    const flags = (v: number) => enc.arg32(2, 'flags', v);
    expect(run([call(AUE.OPEN, ['/srv/www/a'], [flags(0x0)])])).toEqual([]);
    expect(run([call(AUE.OPEN, ['/srv/www/a'], [flags(0x1)])])).toEqual([{ kind: 'modify', path: 'a', isDir: false, ...who }]);
    expect(run([call(AUE.OPENAT, ['/srv/www/a'], [flags(0x2 | 0x200)])])).toEqual([{ kind: 'create', path: 'a', isDir: false, ...who }]);
    expect(run([call(AUE.OPEN, ['/srv/www/a'], [flags(0x400)])])).toEqual([{ kind: 'modify', path: 'a', isDir: false, ...who }]);
  });

  it('remembers at most maxOpenFiles write-opens, forgetting the oldest', () => {
    const t = new BsmTranslator({ root: ROOT, maxOpenFiles: 2 });
    run([1, 2, 3].map((n) => call(AUE.OPEN_W, [`/srv/www/${n}`], [], { ret: n })), {}, t);
    expect(t.openFiles).toBe(2);
    expect(run([1, 2, 3].map((n) => enc.syscall(AUE.CLOSE, PID, [fd(n)])), {}, t).map((e) => e.path)).toEqual(['2', '3']);
  });
});

describe('BsmTranslator: time', () => {
  it('without `now`, each event carries its record time', () => {
    const t = new BsmTranslator({ root: ROOT });
    const r = decodeBsm(enc.syscall(AUE.CREAT, PID, [enc.path('/srv/www/a')], { time: 1_700_000_000_250 }));
    expect(t.translate(r.items).map((e) => e.time)).toEqual([1_700_000_000_250]);
  });
});
