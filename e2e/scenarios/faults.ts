#!/usr/bin/env -S npx tsx
/**
 * faults: src1 mirrors to dst1 and dst2 (rsync daemons, default tunables: retryMax 10 s,
 * resyncAfter 60 s) while seeded churn runs on src1, through three faults:
 *  a. the daemon is killed (SIGKILL) mid-burst and started again with the same config: its
 *     initial sync recovers → all three identical, nothing lost;
 *  b. src1 and dst1 are partitioned for 30 s: dst2 keeps up (lag < 1 s, converged with src1)
 *     → after heal all three converge (timed);
 *  c. dst1's disk fills up while writes go on: `livemirror status` reports dst1's error
 *     (lastError, backoff/halted) while dst2 keeps up → disk freed → all three converge (timed).
 */
import { ChurnPlanner, churnSeed, runChurn, type ChurnOptions, type ChurnResult } from '../harness/churn.js';
import type { ReplicaStatus } from '../../src/core/status.js';
import { sleep } from 'zx';
import { type Scenario, scenario} from './lib.js';

const ALL = ['src1', 'dst1', 'dst2'];

/** Small files: three churn phases and a full copy on every node fit the 64 MiB data disks. */
const churnOptions = (subtree: string): ChurnOptions => ({
  subtree,
  maxFileBytes: 64 * 1024,
  maxTotalBytes: 4 * 1024 * 1024,
});

const firstLine = (text: string): string => text.split('\n')[0] ?? '';

async function replicaStatus(s: Scenario, name: string): Promise<ReplicaStatus> {
  const st = await s.status('src1');
  const r = st.replicas.find((x) => x.name === name);
  if (!r) throw new Error(`src1: no replica ${name} in status (have ${st.replicas.map((x) => x.name).join(', ')})`);
  return r;
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

/**
 * Samples `livemirror status` on src1 until `stop()` holds (bounded by `maxMs` and a count):
 * the largest lag dst2 showed, and the last status of dst1.
 */
async function watchWhile(s: Scenario, stop: () => boolean, maxMs: number): Promise<{ maxLag2: number; samples: number; worst: string }> {
  const t0 = Date.now();
  let maxLag2 = 0;
  let samples = 0;
  let worst = '';
  for (let i = 0; i < 1000 && !stop() && Date.now() - t0 < maxMs; i++) {
    const st = await s.status('src1');
    const r2 = st.replicas.find((r) => r.name === 'dst2');
    if (r2 && (samples === 0 || r2.lagMs > maxLag2)) {
      maxLag2 = r2.lagMs;
      worst = `dst2 ${r2.state} queued ${r2.queued} inFlight ${r2.inFlight} lag ${r2.lagMs} ms, settling ${st.settling}`;
    }
    samples++;
    await sleep(100);
  }
  return { maxLag2, samples, worst };
}

/** For a failed lag check: dst2's batches that were acknowledged more than 1 s after their first event. */
async function slowBatches(s: Scenario): Promise<string> {
  const lines = (await s.daemon('src1').log()).split('\n').filter((l) => l.includes('"replica":"dst2"') && l.includes('"event":"batch"'));
  const slow = lines.filter((l) => Number(/"lagMs":(\d+)/.exec(l)?.[1] ?? 0) >= 1000);
  return `${slow.length} of ${lines.length} dst2 batches with lag >= 1 s${slow.length ? `:\n${slow.slice(-5).join('\n')}` : ''}`;
}

/** rsync clients (not the node's own rsync daemon) still running on the node. */
async function rsyncClients(s: Scenario, on: string): Promise<number> {
  const out = await s.node(on).run(['ps', '-eo', 'pid=,args=']);
  return out.split('\n').filter((l) => /\brsync\b/.test(l) && !/--daemon/.test(l)).length;
}

await scenario('faults', 'faults', async (s) => {
  const src1 = s.node('src1');
  const seed = churnSeed((l) => s.log(l));
  s.figure('seed', seed);
  const replicas = [s.daemonReplica('dst1'), s.daemonReplica('dst2')];
  await s.startDaemon('src1', replicas);
  const ready = await s.awaitReady('src1');
  s.figure('ready_ms', (ready.readyAt ?? 0) - ready.startedAt);

  // a. kill -9 mid-burst, restart with the same config.
  const planA = new ChurnPlanner(`${seed}-a`, churnOptions('a'));
  const batches0 = ready.replicas.reduce((n, r) => n + r.batches, 0);
  const churnA = background(runChurn(src1, planA.next(800), { opsPerSecond: 200 }));
  let replicating = false;
  const burstAt = Date.now();
  for (let i = 0; i < 200 && !replicating && !churnA.done() && Date.now() - burstAt < 30_000; i++) {
    const st = await s.status('src1');
    replicating = st.replicas.reduce((n, r) => n + r.batches, 0) > batches0;
  }
  if (churnA.done()) await churnA.result; // a failed churn says why
  s.check('the burst is being replicated and still running when the daemon is killed', replicating && !churnA.done(), `replicating ${replicating}, churn done ${churnA.done()}`);
  await s.daemon('src1').kill();
  s.figure('a_rsync_clients_left_after_kill', await rsyncClients(s, 'src1'));
  await s.startDaemon('src1', replicas);
  s.figure('a_burst_still_running_at_restart', churnA.done() ? 'no' : 'yes');
  const churned = await churnA.result;
  s.figure('a_churn_ops', churned.applied);
  const readyA = await s.awaitReady('src1');
  s.figure('a_restart_ready_ms', (readyA.readyAt ?? 0) - readyA.startedAt);
  const ca = await s.converged(ALL, 60_000);
  s.figure('a_converge_after_burst_ms', ca.elapsedMs);
  s.figure('a_entries', ca.count);

  // b. partition src1 | dst1 for 30 s while churn goes on.
  const planB = new ChurnPlanner(`${seed}-b`, churnOptions('b'));
  await s.cluster.partition('src1', 'dst1');
  const partitionedAt = Date.now();
  const churnB = background(runChurn(src1, planB.next(1500), { opsPerSecond: 50 }));
  const b = await watchWhile(s, () => Date.now() - partitionedAt >= 30_000 && churnB.done(), 45_000);
  await churnB.result;
  s.figure('b_status_samples', b.samples);
  s.figure('b_dst2_max_lag_ms', b.maxLag2);
  s.check('dst2 lag stayed under 1 s while dst1 was partitioned', b.maxLag2 < 1000, `max ${b.maxLag2} ms over ${b.samples} samples${b.maxLag2 < 1000 ? '' : `; worst: ${b.worst}; ${await slowBatches(s)}`}`);
  const c2 = await s.converged(['src1', 'dst2'], 10_000);
  s.figure('b_dst2_converge_ms', c2.elapsedMs);
  const during = await replicaStatus(s, 'dst1');
  s.figure('b_dst1_state', during.state);
  s.figure('b_dst1_error', firstLine(during.lastError?.message ?? '-'));
  s.check('dst1 reported as failing while partitioned', during.lastError !== undefined && during.attempts > 0, `${during.state}, attempts ${during.attempts}`);
  await s.cluster.heal('src1', 'dst1');
  const healedAt = Date.now();
  s.figure('b_partition_ms', healedAt - partitionedAt);
  const cb = await s.converged(ALL, 90_000);
  s.figure('b_converge_after_heal_ms', Date.now() - healedAt);
  s.figure('b_entries', cb.count);

  // c. dst1's disk fills up while writes go on.
  const before = await replicaStatus(s, 'dst1');
  const fill = await s.cluster.fillDisk('dst1');
  s.figure('c_filled_mib', fill.filledBytes / 1048576);
  s.check('dst1 disk is full', fill.freeBytes === 0, `${fill.freeBytes} bytes free`);
  const planC = new ChurnPlanner(`${seed}-c`, churnOptions('c'));
  const churnC = background(runChurn(src1, planC.next(600), { opsPerSecond: 50 }));
  let reported: ReplicaStatus | undefined;
  const filledAt = Date.now();
  for (let i = 0; i < 200 && !reported && Date.now() - filledAt < 60_000; i++) {
    const r = await replicaStatus(s, 'dst1');
    const fresh = r.lastError !== undefined && r.lastError.time > (before.lastError?.time ?? 0);
    if (fresh && (r.state === 'backoff' || r.state === 'halted')) reported = r;
    else if (churnC.done() && i > 100) break;
    else await sleep(100);
  }
  s.check('status reports dst1 failing with its disk full', reported !== undefined, reported ? `${reported.state}: ${firstLine(reported.lastError?.message ?? '')}` : 'no new error');
  s.figure('c_dst1_state', reported?.state ?? '-');
  s.figure('c_dst1_error', firstLine(reported?.lastError?.message ?? '-'));
  // The table an operator reads shows it too.
  const table = await src1.run(['node', `${src1.info.projectDir}/dist/cli/main.js`, 'status'], { timeoutMs: 15_000 });
  const row = table.split('\n').find((l) => l.startsWith('dst1 '));
  s.check('`livemirror status` shows dst1 with its last error', row !== undefined && /\b(backoff|halted|syncing)\b/.test(row) && !/\s-$/.test(row), row ?? table);
  const c = await watchWhile(s, () => churnC.done(), 60_000);
  await churnC.result;
  s.figure('c_dst2_max_lag_ms', c.maxLag2);
  s.check('dst2 lag stayed under 1 s while dst1 was full', c.maxLag2 < 1000, `max ${c.maxLag2} ms over ${c.samples} samples${c.maxLag2 < 1000 ? '' : `; worst: ${c.worst}; ${await slowBatches(s)}`}`);
  const cc2 = await s.converged(['src1', 'dst2'], 10_000);
  s.figure('c_dst2_converge_ms', cc2.elapsedMs);
  const stillFull = await replicaStatus(s, 'dst1');
  s.check('dst1 still failing before the disk is freed', stillFull.state !== 'idle' || stillFull.queued + stillFull.inFlight > 0, `${stillFull.state}, queued ${stillFull.queued}`);
  await s.cluster.freeDisk('dst1');
  const freedAt = Date.now();
  const cc = await s.converged(ALL, 60_000);
  s.figure('c_converge_after_free_ms', Date.now() - freedAt);
  s.figure('c_entries', cc.count);

  const dst2 = await replicaStatus(s, 'dst2');
  s.check('dst2 never failed (since the restart)', dst2.lastError === undefined && dst2.attempts === 0, dst2.lastError?.message);
});
