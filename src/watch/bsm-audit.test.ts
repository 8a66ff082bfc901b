import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import * as enc from '../../test/support/bsm-encode.js';
import type { FsEvent } from '../core/event.js';
import { AUE } from './bsm/bsm-events.js';
import { createBsmAuditSource } from './bsm-audit.js';
import { UNSUPPORTED, WatchError } from './source.js';
import { AUDITPIPE, type AuditPipeFfi } from './sys/auditpipe-ffi.js';

/** A /dev/auditpipe in memory: records to read, a drop counter, and a log of the ioctls. */
class FakePipe implements AuditPipeFfi {
  reads: Buffer[] = [];
  drops = 0n;
  cond = 1;
  ioctls: [string, string][] = [];
  closed: number[] = [];
  #woken = false;
  #wakeUp: (() => void) | undefined;

  push(...b: Buffer[]): void {
    this.reads.push(...b);
    this.#wakeUp?.();
  }
  auditon(_cmd: number, data: Buffer): number {
    data.writeInt32LE(this.cond);
    return 0;
  }
  open(): number {
    return 10;
  }
  ioctl(_fd: number, request: number, arg: Buffer): number {
    const name = Object.entries(AUDITPIPE).find(([, v]) => v === request)?.[0] ?? String(request);
    if (request === AUDITPIPE.GET_QLIMIT_MAX) arg.writeUInt32LE(1024);
    if (request === AUDITPIPE.GET_DROPS) arg.writeBigUInt64LE(this.drops);
    else this.ioctls.push([name, arg.toString('hex')]);
    return 0;
  }
  read(_fd: number, buf: Buffer): number {
    const next = this.reads.shift();
    if (!next) return -constants.errno.EAGAIN; // the platform's value, as libc would return it here
    next.copy(buf);
    return next.length;
  }
  write(): number {
    this.#woken = true;
    this.#wakeUp?.();
    return 1;
  }
  pipe2(fds: Buffer): number {
    fds.writeInt32LE(11, 0);
    fds.writeInt32LE(12, 4);
    return 0;
  }
  close(fd: number): number {
    this.closed.push(fd);
    return 0;
  }
  async pollAsync(fds: Buffer, _n: number, timeoutMs: number): Promise<number> {
    if (this.reads.length === 0 && !this.#woken)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs);
        this.#wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
    this.#wakeUp = undefined;
    if (this.#woken) return 1;
    if (this.reads.length === 0) return 0;
    fds.writeInt16LE(1, 6);
    return 1;
  }
}

const opts = (ffi: FakePipe) => ({ root: '/srv/www', isExcluded: () => false, ffi, platform: 'freebsd' as const, ownPid: 1, pollIntervalMs: 20 });

async function take(it: AsyncIterator<FsEvent[]>): Promise<Omit<FsEvent, 'time'>[]> {
  const r = await it.next();
  if (r.done) throw new Error('ended');
  return r.value.map(({ time: _t, ...e }) => e);
}

describe('bsm-audit source', () => {
  it('rejects off FreeBSD with UNSUPPORTED and says why', async () => {
    const s = createBsmAuditSource({ ...opts(new FakePipe()), platform: 'linux' });
    const e = await s.start().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WatchError);
    expect(e).toMatchObject({ code: UNSUPPORTED, message: expect.stringMatching(/^bsm-audit runs on FreeBSD only: it reads \/dev\/auditpipe/) });
  });

  it('rejects when auditd does not run, naming the fix', async () => {
    const ffi = new FakePipe();
    ffi.cond = 2;
    const e = await createBsmAuditSource(opts(ffi)).start().catch((x: unknown) => x);
    expect(e).toMatchObject({ code: UNSUPPORTED, message: expect.stringContaining('service auditd enable && service auditd start') });
  });

  it('selects fc,fd,fw,fm,cl (successes) for both flag sets in local mode and raises the queue to its maximum', async () => {
    const ffi = new FakePipe();
    const s = createBsmAuditSource(opts(ffi));
    await s.start();
    await s.close();
    expect(ffi.ioctls).toEqual([
      ['SET_PRESELECT_MODE', '02000000'],
      ['SET_PRESELECT_FLAGS', '7a00000000000000'],
      ['SET_PRESELECT_NAFLAGS', '7a00000000000000'],
      ['GET_QLIMIT_MAX', '00040000'],
      ['SET_QLIMIT', '00040000'],
    ]);
    expect(ffi.closed.sort()).toEqual([10, 11, 12]);
  });

  it('reads records, across a record split between two reads, into events for the tree', async () => {
    const ffi = new FakePipe();
    const s = createBsmAuditSource(opts(ffi));
    await s.start();
    const it = s.events()[Symbol.asyncIterator]();
    const rename = enc.syscall(AUE.RENAME, 50, [enc.path('/srv/www/a'), enc.path('/srv/www/b')]);
    ffi.push(Buffer.concat([enc.syscall(AUE.MKDIR, 50, [enc.path('/srv/www/d')]), enc.syscall(AUE.MKDIR, 50, [enc.path('/tmp/x')]), rename.subarray(0, 20)]), rename.subarray(20));
    expect(await take(it)).toEqual([
      { kind: 'create', path: 'd', isDir: true, pid: 50, uid: 1001 },
      { kind: 'move', from: 'a', path: 'b', isDir: true, pid: 50, uid: 1001 },
    ]);
    await s.close();
  });

  it('a rising drop counter, and undecodable bytes, become an overflow of the root', async () => {
    const ffi = new FakePipe();
    const s = createBsmAuditSource(opts(ffi));
    await s.start();
    const it = s.events()[Symbol.asyncIterator]();
    ffi.drops = 3n;
    expect(await take(it)).toEqual([{ kind: 'overflow', path: '', isDir: true }]);
    ffi.push(Buffer.from('garbage!'));
    expect(await take(it)).toEqual([{ kind: 'overflow', path: '', isDir: true }]);
    expect(s.stats().overflows).toBe(2);
    await s.close();
    expect(await it.next()).toMatchObject({ done: true });
  });
});
