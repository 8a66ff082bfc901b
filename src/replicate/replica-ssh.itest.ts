import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestSshd } from '../../test/support/sshd.js';
import { digestTree, diffTrees } from '../../test/support/tree.js';
import { probeReplica } from './probe.js';
import { Replica } from './replica.js';
import { abs, write, tree, del, testTunables } from '../../test/support/changes.js';
import { parseTarget } from '../core/target.js';
import { sshRenamer } from './transport-ssh.js';
import type { Renamer } from './transport.js';
import type { BatchReport } from './types.js';
import type { ReplicaSpec } from '../core/replica-spec.js';

const tunables = testTunables();

let dir: string;
let src: string;
let dst: string;
let sshd: TestSshd | undefined;
let spec: ReplicaSpec;
let replica: Replica | undefined;
let mismatched: Replica | undefined;
const renamers: Renamer[] = [];
const reports: BatchReport[] = [];
const PWNED = '/tmp/pwned';
const pwnedBefore = existsSync(PWNED);


async function converged(r: Replica): Promise<void> {
  await r.whenIdle();
  expect(r.status()).toMatchObject({ state: 'idle', queued: 0 });
  expect(diffTrees(digestTree(src), digestTree(dst))).toEqual([]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lm-replica-ssh-'));
  src = path.join(dir, 'src');
  dst = path.join(dir, 'dst');
  mkdirSync(src);
  mkdirSync(dst);
  sshd = await TestSshd.start(dir);
  const t = parseTarget(`root@127.0.0.1:${dst}`);
  if ('error' in t) throw new Error(t.error);
  spec = {
    name: 'ssh',
    target: t,
    targetText: `root@127.0.0.1:${dst}`,
    sshPort: sshd.port,
    identityFile: sshd.identityFile,
    knownHostsFile: sshd.knownHostsFile,
    rsyncOptions: [],
    renames: true,
    rsyncPath: 'rsync',
  };
});

afterAll(async () => {
  await replica?.stop(1000);
  await mismatched?.stop(1000);
  for (const r of renamers) await r.close();
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an ssh replica (rsync over ssh to a test sshd, sftp renames)', () => {
  it('initial sync, writes, deletes and hostile names, byte-exact', async () => {
    mkdirSync(path.join(src, 'a/b'), { recursive: true });
    writeFileSync(path.join(src, 'a/b/f'), 'f');
    replica = new Replica(spec, tunables, { root: src, excludes: [], log: pino({ level: 'silent' }), onReport: (r) => reports.push(r) });
    replica.start({ initialSync: true });
    await converged(replica);

    const names = ['new\nline', '#hash', '; semi', '-leading', '--delete', '$(touch /tmp/pwned)', 'a;b|c', "q'uo\"te", 'back\\slash', 'sp ace', '\xff\xfe', 'x'.repeat(255)];
    for (const n of names) {
      mkdirSync(abs(src, path.posix.dirname(n)), { recursive: true });
      writeFileSync(abs(src, n), n);
    }
    replica.enqueue(names.map((n) => write(n)));
    await converged(replica);
    if (!pwnedBefore) expect(existsSync(PWNED)).toBe(false);

    rmSync(path.join(src, 'a'), { recursive: true });
    rmSync(abs(src, '--delete'));
    replica.enqueue([del('a', true), del('--delete')]);
    await converged(replica);
  });

  it('renames go over sftp: same inode on the replica, new parent created, nothing re-sent', async () => {
    const r = replica!;
    writeFileSync(path.join(src, 'big'), Buffer.alloc(2_000_000, 5));
    mkdirSync(path.join(src, 'd1'));
    writeFileSync(path.join(src, 'd1/in'), 'in');
    writeFileSync(path.join(src, 'over'), 'old target');
    r.enqueue([write('big'), tree('d1'), write('over')]);
    await converged(r);
    const bigIno = statSync(path.join(dst, 'big')).ino;
    const inIno = statSync(path.join(dst, 'd1/in')).ino;

    mkdirSync(path.join(src, 'new/deeper'), { recursive: true });
    renameSync(path.join(src, 'big'), path.join(src, 'new/deeper/big'));
    renameSync(path.join(src, 'd1'), path.join(src, 'd2'));
    r.enqueue([
      del('big'),
      write('new', { isDir: true }),
      write('new/deeper', { isDir: true }),
      write('new/deeper/big', { from: 'big' }),
      del('d1', true),
      tree('d2', { from: 'd1' }),
    ]);
    await converged(r);
    expect(reports.filter((x) => x.kind === 'rename').at(-1)).toMatchObject({ renamed: 2, failed: 0 });
    expect(statSync(path.join(dst, 'new/deeper/big')).ino).toBe(bigIno);
    expect(statSync(path.join(dst, 'd2/in')).ino).toBe(inIno);

    // A file renamed onto an existing file replaces it (posix-rename@openssh.com), nothing re-sent.
    renameSync(path.join(src, 'new/deeper/big'), path.join(src, 'over'));
    r.enqueue([del('new/deeper/big'), write('over', { from: 'new/deeper/big' })]);
    await converged(r);
    expect(reports.filter((x) => x.kind === 'rename').at(-1)).toMatchObject({ renamed: 1, failed: 0 });
    const batch = reports.filter((x) => x.kind === 'batch').at(-1) as Extract<BatchReport, { kind: 'batch' }>;
    expect(batch.stats.bytesSent).toBeLessThan(100_000);
    expect(statSync(path.join(dst, 'over')).ino).toBe(bigIno);
  });

  it('the sftp renamer keeps one connection, creates missing parents, and reconnects after losing it', async () => {
    const renamer = sshRenamer(spec, tunables);
    renamers.push(renamer);
    writeFileSync(path.join(dst, 'r0'), 'r');
    const logBefore = (sshd as TestSshd).logins();
    expect(await renamer.rename({ from: 'r0', to: 'r1', isDir: false })).toEqual({ ok: true });
    expect(await renamer.rename({ from: 'r1', to: 'p/q/r2', isDir: false })).toEqual({ ok: true });
    expect(await renamer.rename({ from: 'p/q/r2', to: 'r3', isDir: false })).toEqual({ ok: true });
    expect(readFileSync(path.join(dst, 'r3'), 'utf8')).toBe('r');
    const logAfter = (sshd as TestSshd).logins();
    expect(logAfter - logBefore).toBe(1);

    // Different types are never replaced; non-UTF-8 names are refused (rsync sends them).
    mkdirSync(path.join(dst, 'adir'));
    expect(await renamer.rename({ from: 'r3', to: 'adir', isDir: false })).toMatchObject({ ok: false, error: 'the replica has a directory at the new path' });
    expect(await renamer.rename({ from: 'r3', to: '\xff', isDir: false })).toMatchObject({ ok: false });
    expect(await renamer.rename({ from: 'missing', to: 'x', isDir: false })).toMatchObject({ ok: false });

    // The kept connection dies; the next rename, at once, finds out and goes on a fresh one.
    for (const pid of (sshd as TestSshd).sessionPids()) process.kill(pid, 'SIGTERM');
    expect(await renamer.rename({ from: 'r3', to: 'r4', isDir: false })).toEqual({ ok: true });
    expect(await renamer.rename({ from: 'r4', to: 'r5', isDir: false })).toEqual({ ok: true });
    rmSync(path.join(dst, 'r5'));
    rmSync(path.join(dst, 'adir'), { recursive: true });
    rmSync(path.join(dst, 'p'), { recursive: true });
  });

  it('a host key mismatch refuses the sftp rename and the rsync (halted, clear error)', async () => {
    const wrong = { ...spec, knownHostsFile: (sshd as TestSshd).wrongKnownHosts };
    const renamer = sshRenamer(wrong, tunables);
    renamers.push(renamer);
    writeFileSync(path.join(dst, 'k0'), 'k');
    const res = await renamer.rename({ from: 'k0', to: 'k1', isDir: false });
    expect(res).toMatchObject({ ok: false });
    expect(res.ok ? '' : res.error).toMatch(/host key verification failed for \[127\.0\.0\.1\]:\d+: the key differs/);
    expect(existsSync(path.join(dst, 'k0'))).toBe(true);
    rmSync(path.join(dst, 'k0'));

    const log: BatchReport[] = [];
    mismatched = new Replica(wrong, tunables, { root: src, excludes: [], log: pino({ level: 'silent' }), onReport: (r) => log.push(r) });
    mismatched.start({ initialSync: true });
    await mismatched.whenIdle();
    expect(mismatched.status().state).toBe('halted');
    expect([12, 255]).toContain(mismatched.status().lastError?.exitCode);
    expect(mismatched.status().lastError?.message).toMatch(/host key verification failed/);
    const probe = await probeReplica(wrong, { root: src, tunables });
    expect(probe.checks[0]).toMatchObject({ name: 'reachable', ok: false });
  });

  it('probe: every check passes and leaves no trace', async () => {
    const before = digestTree(dst);
    const res = await probeReplica(spec, { root: src, tunables });
    expect(res.checks.map((c) => [c.name, c.ok, c.detail.length > 0])).toEqual([
      ['reachable', true, true],
      ['rsync', true, true],
      ['writable', true, true],
    ]);
    expect(diffTrees(before, digestTree(dst))).toEqual([]);
  });
});
