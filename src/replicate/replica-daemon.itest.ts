import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, TestRsyncd } from '../../test/support/rsyncd.js';
import { digestTree, diffTrees, waitFor } from '../../test/support/tree.js';
import { probeReplica } from './probe.js';
import { Replica } from './replica.js';
import { write, del, testTunables } from '../../test/support/changes.js';
import { parseTarget } from '../core/target.js';
import type { BatchReport } from './types.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { Target } from '../core/target.js';

const tunables = testTunables({ connectTimeoutS: 3 });

let dir: string;
let src: string;
let rsyncd: TestRsyncd;
let good: Replica;
let bad: Replica | undefined;
const reports: BatchReport[] = [];


function target(text: string): Target {
  const t = parseTarget(text);
  if ('error' in t) throw new Error(t.error);
  return t;
}

function replicaFor(name: string, passwordFile: string, log: BatchReport[]): Replica {
  const spec: ReplicaSpec = { name, target: target(rsyncd.module), targetText: rsyncd.module, passwordFile, rsyncOptions: [], renames: true, rsyncPath: 'rsync' };
  return new Replica(spec, tunables, { root: src, excludes: [], log: pino({ level: 'silent' }), onReport: (r) => log.push(r) });
}

async function converged(r: Replica): Promise<void> {
  await r.whenIdle();
  expect(r.status()).toMatchObject({ state: 'idle', queued: 0 });
  expect(diffTrees(digestTree(src), digestTree(rsyncd.dataDir))).toEqual([]);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lm-replica-daemon-'));
  src = path.join(dir, 'src');
  mkdirSync(src);
  rsyncd = new TestRsyncd(path.join(dir, 'rsyncd'), path.join(dir, 'data'), await freePort());
  await rsyncd.start();
});

afterAll(async () => {
  await good?.stop(1000);
  await bad?.stop(1000);
  await rsyncd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('an rsync daemon replica (rsync://user@127.0.0.1:PORT/module, --password-file)', () => {
  it('initial sync, writes, a renamed file (--fuzzy, deletes after), hostile names, a non-empty directory delete', async () => {
    mkdirSync(path.join(src, 'dir/sub'), { recursive: true });
    writeFileSync(path.join(src, 'dir/sub/f'), 'f');
    writeFileSync(path.join(src, 'big'), Buffer.alloc(3_000_000, 9));
    good = replicaFor('daemon', rsyncd.passwordFile, reports);
    good.start({ initialSync: true });
    await converged(good);
    expect(good.status().fullSyncs).toBe(1);

    writeFileSync(path.join(src, 'new'), 'new');
    renameSync(path.join(src, 'big'), path.join(src, 'big.renamed'));
    good.enqueue([write('new'), del('big'), write('big.renamed', { from: 'big' })]);
    await converged(good);
    const batch = reports.filter((r) => r.kind === 'batch').at(-1) as Extract<BatchReport, { kind: 'batch' }>;
    // --fuzzy found the old copy as basis: far less than the 3 MB of the file went over the wire.
    expect(batch.stats.bytesSent).toBeLessThan(500_000);
    expect(existsSync(path.join(rsyncd.dataDir, 'big'))).toBe(false);

    const hostile = ['new\nline', '--delete', '#hash', '; semi', '-x;$(id)|`id`', "q'uo\"te\\", '\xff\xfe', 'y'.repeat(255)];
    for (const n of hostile) writeFileSync(Buffer.from(`${src}/${n}`, 'latin1'), n);
    good.enqueue(hostile.map((n) => write(n)));
    await converged(good);
    for (const n of hostile) rmSync(Buffer.from(`${src}/${n}`, 'latin1'));
    good.enqueue(hostile.map((n) => del(n)));
    await converged(good);

    rmSync(path.join(src, 'dir'), { recursive: true });
    good.enqueue([del('dir', true)]);
    await converged(good);
    expect(existsSync(path.join(rsyncd.dataDir, 'dir'))).toBe(false);
  });

  it('daemon down → backoff; daemon back → converges', async () => {
    await rsyncd.stop();
    writeFileSync(path.join(src, 'during-outage'), 'x');
    good.enqueue([write('during-outage')]);
    await waitFor(() => good.status().state === 'backoff', 'state backoff', 10_000);
    expect(good.status().lastError?.message).toMatch(/socket I\/O|connect|Connection refused/);
    expect(good.status().queued).toBe(1);
    await rsyncd.start();
    await waitFor(() => good.status().state === 'idle', 'state idle after the daemon returned', 10_000);
    await converged(good);
    expect(good.status().attempts).toBe(0);
  });

  it('a wrong password halts the replica with a clear error', async () => {
    const wrong = path.join(dir, 'wrong-password');
    writeFileSync(wrong, 'not-the-password\n', { mode: 0o600 });
    const log: BatchReport[] = [];
    bad = replicaFor('daemon-bad', wrong, log);
    bad.start({ initialSync: true });
    await bad.initialSyncSettled();
    await bad.whenIdle();
    const st = bad.status();
    expect(st.state).toBe('halted');
    expect(st.lastError?.exitCode).toBe(5);
    expect(st.lastError?.message).toMatch(/auth failed on module data/);
    expect(log.find((r) => r.kind === 'error')).toMatchObject({ verdict: 'fatal', pass: 'full' });
  });

  it('probe: good credentials pass every check; a wrong password fails reachable', async () => {
    const ok = await probeReplica(good.spec, { root: src, tunables });
    expect(ok.checks.map((c) => [c.name, c.ok])).toEqual([
      ['reachable', true],
      ['rsync', true],
      ['writable', true],
    ]);
    expect(diffTrees(digestTree(src), digestTree(rsyncd.dataDir))).toEqual([]);
    const wrong = await probeReplica({ ...good.spec, passwordFile: path.join(dir, 'wrong-password') }, { root: src, tunables });
    expect(wrong.ok).toBe(false);
    expect(wrong.checks[0]).toMatchObject({ name: 'reachable', ok: false });
    expect(wrong.checks[0]?.detail).toMatch(/auth failed/);
  });
});
