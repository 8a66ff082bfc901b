import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testTunables, write } from '../../test/support/changes.js';
import { TestSshd } from '../../test/support/sshd.js';
import { diffTrees, digestTree, waitFor } from '../../test/support/tree.js';
import { parseTarget } from '../core/target.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import { Replica } from './replica.js';
import { masterOptions, spawnSsh } from './ssh/master.js';
import { SOCKET_NAME, sweepOrphans } from './ssh/runtime-dir.js';
import { masterArgs } from './ssh/ssh-args.js';
import type { BatchReport } from './types.js';

/**
 * ssh connection sharing against a real sshd on loopback: the replica's rsyncs run over its one
 * ssh master; a dead master costs a handshake, never a batch; stop() leaves nothing behind.
 *
 * The sshd here sets SHLVL=1 for its sessions: root's ~/.bashrc on the CI machine runs `pyenv
 * init` (~0.8 s), and Debian's bash reads ~/.bashrc for every command sshd runs unless it is a
 * nested shell. (Timings with and without sharing belong in `npm run bench`, not here.)
 */
const tunables = testTunables();
const silent = pino({ level: 'silent' });

let dir: string;
let src: string;
let sshd: TestSshd | undefined;
const replicas: Replica[] = [];

function specFor(d: TestSshd, name: string, dst: string, extra: Partial<ReplicaSpec> = {}): ReplicaSpec {
  mkdirSync(dst, { recursive: true });
  const t = parseTarget(`root@127.0.0.1:${dst}`);
  if ('error' in t) throw new Error(t.error);
  return {
    name,
    target: t,
    targetText: `root@127.0.0.1:${dst}`,
    sshPort: d.port,
    identityFile: d.identityFile,
    knownHostsFile: d.knownHostsFile,
    rsyncOptions: [],
    renames: true,
    rsyncPath: 'rsync',
    ...extra,
  };
}

function replicaFor(spec: ReplicaSpec, reports: BatchReport[] = []): Replica {
  const r = new Replica(spec, tunables, { root: src, excludes: [], log: silent, onReport: (x) => reports.push(x) });
  replicas.push(r);
  return r;
}

/** One one-file batch: write, enqueue, wait until the replica acknowledged it; ms. */
let seq = 0;
async function oneFileBatch(r: Replica): Promise<number> {
  const name = `f${++seq}`;
  writeFileSync(path.join(src, name), name);
  const t0 = performance.now();
  r.enqueue([write(name)]);
  await r.whenIdle();
  const ms = performance.now() - t0;
  expect(r.status()).toMatchObject({ state: 'idle', queued: 0 });
  return ms;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function masterUp(r: Replica): Promise<number> {
  await waitFor(() => r.sshMaster?.controlPath !== undefined, 'the ssh master socket', 10_000);
  return r.sshMaster?.pid ?? -1;
}


beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lm-ssh-master-'));
  src = path.join(dir, 'src');
  mkdirSync(src);
  sshd = await TestSshd.start(path.join(dir, 'quiet'), { extraConfig: ['SetEnv SHLVL=1'] });
});

afterAll(async () => {
  for (const r of replicas) await r.stop(1000);
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('ssh connection sharing (one ssh master per replica)', () => {
  let r: Replica;
  const reports: BatchReport[] = [];
  let firstPid = -1;

  it('several batches open one ssh login (the master), not one per batch', async () => {
    const d = sshd as TestSshd;
    const before = d.logins();
    r = replicaFor(specFor(d, 'shared', path.join(dir, 'dst-shared')), reports);
    r.start({ initialSync: false });
    firstPid = await masterUp(r);
    expect(alive(firstPid)).toBe(true);
    expect(d.logins() - before).toBe(1);

    const socket = r.sshMaster?.controlPath ?? '';
    expect(path.basename(socket)).toBe(SOCKET_NAME);
    expect(path.basename(path.dirname(socket))).toMatch(new RegExp(`^livemirror-${process.pid}-`));
    expect(statSync(path.dirname(socket)).mode & 0o777).toBe(0o700);
    expect(statSync(socket).isSocket()).toBe(true);

    for (let i = 0; i < 5; i++) await oneFileBatch(r);
    expect(reports.filter((x) => x.kind === 'batch')).toHaveLength(5);
    expect(d.logins() - before).toBe(1);
    expect(diffTrees(digestTree(src), digestTree(path.join(dir, 'dst-shared')))).toEqual([]);
  });

  it('a killed master (SIGKILL: its socket stays behind) costs a handshake, not a batch; it comes back', async () => {
    const d = sshd as TestSshd;
    const before = d.logins();
    process.kill(firstPid, 'SIGKILL');
    // At once: the stale socket is still there, rsync's ssh finds no master behind it and logs in.
    await oneFileBatch(r);
    expect(reports.filter((x) => x.kind === 'error')).toEqual([]);

    const secondPid = await masterUp(r);
    expect(secondPid).not.toBe(firstPid);
    expect(alive(firstPid)).toBe(false);
    expect(reports.find((x) => x.kind === 'ssh-master-exited')).toMatchObject({ pid: firstPid, signal: 'SIGKILL', attempt: 1 });
    const afterRestart = d.logins();
    expect(afterRestart - before).toBe(2); // the direct batch and the new master

    for (let i = 0; i < 3; i++) await oneFileBatch(r);
    expect(d.logins()).toBe(afterRestart);
    expect(reports.filter((x) => x.kind === 'error')).toEqual([]);
    expect(diffTrees(digestTree(src), digestTree(path.join(dir, 'dst-shared')))).toEqual([]);
  });

  it('stopping the replica stops the master (its pid is gone) and removes the socket directory', async () => {
    const pid = r.sshMaster?.pid ?? -1;
    const runtime = r.sshMaster?.dir ?? '';
    expect(alive(pid)).toBe(true);
    expect(existsSync(runtime)).toBe(true);
    await r.stop(1000);
    expect(alive(pid)).toBe(false);
    expect(existsSync(runtime)).toBe(false);
    expect(reports.filter((x) => x.kind === 'ssh-master-stopped')).toEqual([{ kind: 'ssh-master-stopped', pid, killed: false }]);
  });

  it('sshConnectionSharing: false runs no master; every batch logs in', async () => {
    const d = sshd as TestSshd;
    const before = d.logins();
    const plain = replicaFor(specFor(d, 'plain', path.join(dir, 'dst-plain'), { sshConnectionSharing: false }));
    plain.start({ initialSync: false });
    expect(plain.sshMaster).toBeUndefined();
    for (let i = 0; i < 2; i++) await oneFileBatch(plain);
    expect(d.logins() - before).toBe(2);
    await plain.stop(1000);
  });

  it("a master left by a daemon that died (kill -9) is asked to exit through its socket at the next start's sweep", async () => {
    const d = sshd as TestSshd;
    const base = mkdtempSync(path.join(dir, 'rt'));
    const orphan = path.join(base, 'livemirror-999999999-zzzzzz'); // a pid that cannot run
    mkdirSync(orphan, { mode: 0o700 });
    const socket = path.join(orphan, SOCKET_NAME);
    const proc = spawnSsh(masterArgs(specFor(d, 'orphan', path.join(dir, 'dst-orphan')), socket, masterOptions(tunables)));
    await waitFor(() => existsSync(socket), 'the orphan master socket', 10_000);
    expect(alive(proc.pid ?? -1)).toBe(true);
    expect(await sweepOrphans({ bases: [base] })).toEqual([orphan]);
    const x = await proc.exited;
    expect(x.exitCode).toBeDefined(); // it exited by itself, on request
    expect(existsSync(orphan)).toBe(false);
  });
});

