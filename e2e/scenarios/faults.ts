#!/usr/bin/env -S npx tsx
/**
 * faults: src1 mirrors to dst1 and dst2 (rsync daemons, default tunables: retryMax 10 s,
 * resyncAfter 60 s) while seeded churn runs on src1, through three faults:
 *  a. the daemon is killed (SIGKILL) mid-burst and started again with the same config: its
 *     initial sync recovers → all three identical, nothing lost;
 *  b. src1 and dst1 are partitioned for 30 s: dst2 keeps up (its lag stays far below the
 *     partition's length: LIVE_LAG_BOUND_MS; p50/p99/max as figures; converged with src1)
 *     → after heal all three converge (timed);
 *  c. dst1's disk fills up while writes go on: `livemirror status` reports dst1's error
 *     (lastError, backoff/halted) while dst2 keeps up → disk freed → all three converge (timed).
 */
import type { DaemonStatus, ReplicaStatus } from '../../src/core/status.js';
import { ChurnPlanner, runChurn, type ChurnOptions, type ChurnResult } from '../harness/churn.js';
import { awaitQuiet, batchesOf, describeReplica, replicaOf, sampleStatus, scenario, type Scenario } from './lib.js';

const ALL = ['src1', 'dst1', 'dst2'];
const PARTITION_MS = 30_000;

/** Small files: three churn phases and a full copy on every node fit the 64 MiB data disks. */
const churnOptions = (subtree: string): ChurnOptions => ({
  subtree,
  maxFileBytes: 64 * 1024,
  maxTotalBytes: 4 * 1024 * 1024,
});

const firstLine = (text: string): string => text.split('\n')[0] ?? '';

await scenario('faults', 'faults', async (s) => {
  const seed = s.seed();
  await s.startDaemon('src1', replicas(s));
  const ready = await s.awaitReady('src1', { figure: 'ready_ms' });
  await killMidBurst(s, seed, batchesOf([ready]));
  await partitionDst1(s, seed);
  await fillDst1Disk(s, seed);
  const dst2 = replicaOf(await s.status('src1'), 'dst2');
  s.check('dst2 never failed (since the restart)', dst2.lastError === undefined && dst2.attempts === 0, dst2.lastError?.message);
});

function replicas(s: Scenario) {
  return [s.daemonReplica('dst1'), s.daemonReplica('dst2')];
}

/** Churn running in the background: `done` flips when it ends; `result` never rejects unhandled. */
function background(p: Promise<ChurnResult>): { readonly done: () => boolean; readonly result: Promise<ChurnResult> } {
  let done = false;
  const result = p.finally(() => {
    done = true;
  });
  result.catch(() => undefined); // observed when awaited
  return { done: () => done, result };
}

/** a. kill -9 mid-burst, restart with the same config → converged. */
async function killMidBurst(s: Scenario, seed: string, batches0: number): Promise<void> {
  const src1 = s.node('src1');
  const churn = background(runChurn(src1, new ChurnPlanner(`${seed}-a`, churnOptions('a')).next(800), { opsPerSecond: 200 }));
  const r = await sampleStatus([src1], { everyMs: 50, maxMs: 30_000, until: ({ statuses }) => batchesOf(statuses) > batches0 || churn.done() });
  const last = r.samples.at(-1)?.statuses ?? [];
  const replicating = last.length > 0 && batchesOf(last) > batches0;
  if (churn.done()) await churn.result; // a failed churn says why
  s.check('the burst is being replicated and still running when the daemon is killed', replicating && !churn.done(), `replicating ${replicating}, churn done ${churn.done()}`);
  await s.daemon('src1').kill();
  const ps = await src1.$`ps -eo pid=,args=`;
  s.figure('a_rsync_clients_left_after_kill', ps.lines().filter((l) => /\brsync\b/.test(l) && !/--daemon/.test(l)).length);
  await s.startDaemon('src1', replicas(s));
  s.figure('a_burst_still_running_at_restart', churn.done() ? 'no' : 'yes');
  s.figure('a_churn_ops', (await churn.result).applied);
  await s.awaitReady('src1', { figure: 'a_restart_ready_ms' });
  const c = await s.converged(ALL, 60_000);
  s.figure('a_converge_after_burst_ms', c.elapsedMs);
  s.figure('a_entries', c.count);
}

/** b. partition src1 | dst1 for PARTITION_MS while churn goes on: dst2 keeps up; heal → converged. */
async function partitionDst1(s: Scenario, seed: string): Promise<void> {
  // Quiet first: an rsync already connected when the partition lands waits out its --timeout
  // (ioTimeoutS, 60 s) before it fails, longer than the partition; only new connections are
  // bounded by --contimeout (10 s), which is what this phase checks.
  const quiet = await awaitQuiet([s.node('src1')], { quietMs: 1000, deadlineMs: 60_000 });
  s.check('src1 quiet before the partition', quiet.ok, quiet.detail);
  s.figure('b_quiet_wait_ms', quiet.elapsedMs);
  await s.cluster.partition('src1', 'dst1');
  const partitionedAt = Date.now();
  const churn = background(runChurn(s.node('src1'), new ChurnPlanner(`${seed}-b`, churnOptions('b')).next(1500), { opsPerSecond: 50 }));
  const samples = await sampleStatus([s.node('src1')], {
    everyMs: 100,
    maxMs: PARTITION_MS + 15_000,
    until: ({ at }) => at - partitionedAt >= PARTITION_MS && churn.done(),
    skipFailedReads: true,
  });
  await churn.result;
  s.figure('b_status_samples', samples.samples.length);
  await s.checkLiveLag({ what: 'dst2 while dst1 was partitioned', on: 'src1', replicas: ['dst2'], samples, from: partitionedAt, to: Date.now(), prefix: 'b_dst2_lag' });
  const c2 = await s.converged(['src1', 'dst2'], 30_000);
  s.figure('b_dst2_converge_ms', c2.elapsedMs);
  const during = replicaOf(await s.status('src1'), 'dst1');
  s.figure('b_dst1_state', during.state);
  s.figure('b_dst1_error', firstLine(during.lastError?.message ?? '-'));
  s.check('dst1 reported as failing while partitioned', during.lastError !== undefined && during.attempts > 0, describeReplica(during, Date.now()));
  await s.cluster.heal('src1', 'dst1');
  const healedAt = Date.now();
  s.figure('b_partition_ms', healedAt - partitionedAt);
  const c = await s.converged(ALL, 90_000);
  s.figure('b_converge_after_heal_ms', Date.now() - healedAt);
  s.figure('b_entries', c.count);
}

/** c. dst1's disk fills up while writes go on: reported, dst2 keeps up; freed → converged. */
async function fillDst1Disk(s: Scenario, seed: string): Promise<void> {
  const src1 = s.node('src1');
  const before = replicaOf(await s.status('src1'), 'dst1');
  const fill = await s.cluster.fillDisk('dst1');
  s.figure('c_filled_mib', fill.filledBytes / 1048576);
  s.check('dst1 disk is full', fill.freeBytes === 0, `${fill.freeBytes} bytes free`);
  const filledAt = Date.now();
  const churn = background(runChurn(src1, new ChurnPlanner(`${seed}-c`, churnOptions('c')).next(600), { opsPerSecond: 50 }));

  // Reported: a new error on dst1, in backoff or halted.
  const failing = (st: DaemonStatus | undefined): ReplicaStatus | undefined => {
    const r = st && replicaOf(st, 'dst1');
    const fresh = r?.lastError !== undefined && r.lastError.time > (before.lastError?.time ?? 0);
    return fresh && (r.state === 'backoff' || r.state === 'halted') ? r : undefined;
  };
  const seen = await sampleStatus([src1], { everyMs: 100, maxMs: 60_000, until: ({ statuses: [st] }) => failing(st) !== undefined });
  const reported = failing(seen.samples.at(-1)?.statuses[0]);
  s.check('status reports dst1 failing with its disk full', reported !== undefined, reported ? `${reported.state}: ${firstLine(reported.lastError?.message ?? '')}` : 'no new error');
  s.figure('c_dst1_state', reported?.state ?? '-');
  s.figure('c_dst1_error', firstLine(reported?.lastError?.message ?? '-'));
  // The table an operator reads shows it too.
  const table = await src1.$`node ${`${src1.info.projectDir}/dist/cli/main.js`} status`.timeout(15_000);
  const row = table.lines().find((l) => l.startsWith('dst1 '));
  s.check('`livemirror status` shows dst1 with its last error', row !== undefined && /\b(backoff|halted|syncing)\b/.test(row) && !/\s-$/.test(row), row ?? table.stdout);

  const samples = await sampleStatus([src1], { everyMs: 100, maxMs: 60_000, until: () => churn.done(), skipFailedReads: true });
  await churn.result;
  await s.checkLiveLag({ what: 'dst2 while dst1 was full', on: 'src1', replicas: ['dst2'], samples, from: filledAt, to: Date.now(), prefix: 'c_dst2_lag' });
  const c2 = await s.converged(['src1', 'dst2'], 30_000);
  s.figure('c_dst2_converge_ms', c2.elapsedMs);
  const stillFull = replicaOf(await s.status('src1'), 'dst1');
  s.check('dst1 still failing before the disk is freed', stillFull.state !== 'idle' || stillFull.queued + stillFull.inFlight > 0, `${stillFull.state}, queued ${stillFull.queued}`);
  await s.cluster.freeDisk('dst1');
  const freedAt = Date.now();
  const c = await s.converged(ALL, 60_000);
  s.figure('c_converge_after_free_ms', Date.now() - freedAt);
  s.figure('c_entries', c.count);
}
