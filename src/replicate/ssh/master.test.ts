import { describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../../../test/support/fake-clock.js';
import type { ReplicaSpec } from '../../core/replica-spec.js';
import type { MasterReport } from '../types.js';
import { SshMaster, type MasterExit, type MasterFs, type MasterProcess, type SshMasterOptions } from './master.js';
import { masterArgs } from './ssh-args.js';

const spec: ReplicaSpec = { name: 'r', target: { kind: 'ssh', host: 'web1', path: '/srv' }, targetText: 'web1:/srv', rsyncOptions: [], renames: true, rsyncPath: 'rsync' };
const opts: SshMasterOptions = { connectTimeoutS: 10, serverAliveIntervalS: 10, serverAliveCountMax: 3, restartInitialMs: 1000, restartMaxMs: 8000, killGraceMs: 500 };
const DIR = '/run/lm-1-abcdef';
const SOCK = `${DIR}/master.sock`;

class FakeProc implements MasterProcess {
  readonly exited: Promise<MasterExit>;
  exit!: (x: MasterExit) => void;
  constructor(
    readonly pid: number | undefined,
    readonly args: readonly string[],
  ) {
    this.exited = new Promise((resolve) => (this.exit = resolve));
  }
}

function setup(o: { makeDirFails?: boolean; ignoreTerm?: boolean } = {}) {
  const clock = new FakeClock(5000);
  const files = new Set<string>();
  const log: string[] = [];
  const procs: FakeProc[] = [];
  const reports: MasterReport[] = [];
  const signals: [number, string][] = [];
  let nextPid = 100;
  const fs: MasterFs = {
    makeDir: () => {
      if (o.makeDirFails) throw new Error('EACCES: permission denied');
      files.add(DIR);
      return { dir: DIR, socket: SOCK };
    },
    exists: (p) => files.has(p),
    unlink: (p) => {
      log.push(`unlink ${p}`);
      files.delete(p);
    },
    removeDir: (d) => {
      log.push(`rmdir ${d}`);
      for (const f of [...files]) if (f === d || f.startsWith(`${d}/`)) files.delete(f);
    },
  };
  const master = new SshMaster(spec, opts, {
    clock,
    rand: () => 0.5,
    fs,
    spawn: (args) => {
      const p = new FakeProc(nextPid++, args);
      procs.push(p);
      return p;
    },
    kill: (pid, sig) => {
      signals.push([pid, sig]);
      const p = procs.find((x) => x.pid === pid);
      if (!p) throw new Error('ESRCH');
      if (sig === 'SIGKILL' || !o.ignoreTerm) p.exit(sig === 'SIGKILL' ? { signal: 'SIGKILL', stderrTail: '' } : { exitCode: 255, stderrTail: 'Killed by signal 15.' });
    },
    onReport: (r) => reports.push(r),
  });
  /** The master got its connection up: ssh made the socket. */
  const up = () => files.add(SOCK);
  return { clock, master, procs, reports, signals, files, log, up };
}

describe('SshMaster', () => {
  it('starts ssh -M with the socket in its private directory; controlPath only once the socket is there', () => {
    const { master, procs, up, log, reports } = setup();
    expect(master.controlPath).toBeUndefined();
    master.start();
    master.start(); // idempotent
    expect(procs).toHaveLength(1);
    expect(procs[0]?.args).toEqual(masterArgs(spec, SOCK, opts));
    expect(log).toEqual([`unlink ${SOCK}`]); // a stale socket would disable the new master's listener
    expect(master.pid).toBe(100);
    expect(master.controlPath).toBeUndefined();
    up();
    expect(master.controlPath).toBe(SOCK);
    expect(reports).toEqual([{ kind: 'ssh-master-started', pid: 100, socket: SOCK }]);
  });

  it('a master that ends is restarted after a backoff that grows per failure; meanwhile no controlPath', async () => {
    const { clock, master, procs, up, reports, files } = setup();
    master.start();
    up();
    clock.advance(200);
    procs[0]?.exit({ exitCode: 255, stderrTail: 'Connection to web1 closed by remote host.\r\n' });
    await settle();
    expect(files.has(SOCK)).toBe(false); // the stale socket is gone at once
    expect(master.controlPath).toBeUndefined();
    expect(master.pid).toBeUndefined();
    expect(reports.at(-1)).toEqual({
      kind: 'ssh-master-exited',
      pid: 100,
      exitCode: 255,
      reason: 'Connection to web1 closed by remote host.',
      upMs: 200,
      attempt: 1,
      restartInMs: 1000,
      repeated: false,
    });
    await clock.advanceAsync(999);
    expect(procs).toHaveLength(1);
    await clock.advanceAsync(1);
    expect(procs).toHaveLength(2);
    expect(master.pid).toBe(101);

    // Fails at once again (host down): 2 s, 4 s, then capped at 8 s (jitter 6-8 s, rand 0.5: 7 s); the same reason is "repeated".
    for (const [i, want] of [[1, 2000], [2, 4000], [3, 7000], [4, 7000]] as const) {
      procs[i]?.exit({ exitCode: 255, stderrTail: 'ssh: connect to host web1 port 22: Connection refused' });
      await settle();
      expect(reports.at(-1)).toMatchObject({ kind: 'ssh-master-exited', attempt: i + 1, restartInMs: want, repeated: i > 1 });
      await clock.advanceAsync(want);
      expect(procs).toHaveLength(i + 2);
    }

    // One that lived restartMaxMs counts as healthy: back to the first step.
    await clock.advanceAsync(8000);
    procs[5]?.exit({ signal: 'SIGKILL', stderrTail: '' });
    await settle();
    expect(reports.at(-1)).toMatchObject({ kind: 'ssh-master-exited', signal: 'SIGKILL', reason: 'killed by SIGKILL', attempt: 1, restartInMs: 1000 });
  });

  it('stop: SIGTERM to its pid, waits for it, removes the directory; no restart afterwards', async () => {
    const { clock, master, procs, signals, log, reports, up, files } = setup();
    master.start();
    up();
    await master.stop();
    expect(signals).toEqual([[100, 'SIGTERM']]);
    expect(reports.at(-1)).toEqual({ kind: 'ssh-master-stopped', pid: 100, killed: false });
    expect(log.at(-1)).toBe(`rmdir ${DIR}`);
    expect(files.size).toBe(0);
    expect(master.pid).toBeUndefined();
    expect(master.controlPath).toBeUndefined();
    await clock.advanceAsync(60_000);
    expect(procs).toHaveLength(1);
    expect(clock.armed).toBe(0);
    await master.stop(); // idempotent
    expect(signals).toHaveLength(1);
  });

  it('stop: SIGKILL after killGraceMs when SIGTERM is ignored', async () => {
    const { clock, master, signals, reports } = setup({ ignoreTerm: true });
    master.start();
    let done = false;
    const stopped = master.stop().then(() => (done = true));
    await clock.advanceAsync(499);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await stopped;
    expect(signals).toEqual([
      [100, 'SIGTERM'],
      [100, 'SIGKILL'],
    ]);
    expect(reports.at(-1)).toEqual({ kind: 'ssh-master-stopped', pid: 100, killed: true });
  });

  it('stop while waiting to restart cancels the restart', async () => {
    const { clock, master, procs, log } = setup();
    master.start();
    procs[0]?.exit({ exitCode: 255, stderrTail: 'x' });
    await settle();
    expect(clock.armed).toBe(1);
    await master.stop();
    expect(clock.armed).toBe(0);
    expect(log.at(-1)).toBe(`rmdir ${DIR}`);
    await clock.advanceAsync(10_000);
    expect(procs).toHaveLength(1);
  });

  it('without a runtime directory: sharing off, reported, nothing started', async () => {
    const { master, procs, reports } = setup({ makeDirFails: true });
    master.start();
    expect(procs).toHaveLength(0);
    expect(master.controlPath).toBeUndefined();
    expect(reports).toEqual([{ kind: 'ssh-master-off', reason: 'EACCES: permission denied' }]);
    await master.stop();
  });
});
