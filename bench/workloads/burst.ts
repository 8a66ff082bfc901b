/**
 * burst: FILES small files in DIRS directories written as fast as possible → converged on every
 * replica (converge.ts). Per run: the time from the first write and from the last write, and the
 * rsync invocations counted by the /proc scan (rsync-count.ts) over the same span, beside the
 * contestant's own counts. A fresh tree and a fresh contestant per run.
 */
import { burstDeadlineMs, type BenchConfig, type BurstSize } from '../config.js';
import { burstLayout, expectedSizes, writeBurst } from '../burst-tree.js';
import type { Contestant } from '../contestants.js';
import { awaitBurstConverged } from '../converge.js';
import { withTree } from '../processes.js';
import type { BurstResult, BurstRun } from '../results.js';
import { countRsyncs } from '../rsync-count.js';

function delta(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}

async function oneRun(c: Contestant, cfg: BenchConfig, size: BurstSize, deadlineMs: number, log: (s: string) => void): Promise<BurstRun> {
  const layout = burstLayout(size);
  const expected = expectedSizes(layout);
  return withTree(cfg.replicas, async (t) => {
    const t0 = performance.now();
    const running = await c.start(t);
    const startMs = performance.now() - t0;
    try {
      const before = await running.selfCounts();
      const counter = await countRsyncs(deadlineMs + 60_000);
      let counted;
      let times;
      try {
        const w = writeBurst(t.source, layout);
        running.afterWrites?.();
        const conv = await awaitBurstConverged(t.source, t.replicas, expected, deadlineMs);
        times = { writeMs: w.last - w.first, fromFirstMs: conv.at - w.first, fromLastMs: conv.at - w.last, confirmed: conv.confirmed };
      } finally {
        counted = await counter.stop();
      }
      const after = await running.selfCounts();
      return {
        startMs,
        ...times,
        rsyncInvocations: counted.invocations,
        rsyncProcesses: counted.processes,
        scans: counted.scans,
        maxScanGapMs: counted.maxGapMs,
        selfCounts: delta(after, before),
      };
    } finally {
      const t1 = performance.now();
      await running.stop();
      log(`  ${c.name}: started (initial sync of an empty tree) in ${(startMs / 1000).toFixed(1)} s, stopped in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
    }
  });
}

export async function runBurst(c: Contestant, cfg: BenchConfig, size: BurstSize, log: (s: string) => void): Promise<BurstResult> {
  const deadlineMs = burstDeadlineMs(size);
  const base = { workload: 'burst' as const, contestant: c.name, size, deadlineMs };
  const runs: BurstRun[] = [];
  const avail = await c.available();
  if (!avail.ok) return { ...base, status: 'not installed', reason: avail.reason, runs };
  try {
    for (let i = 0; i < size.runs; i++) {
      const r = await oneRun(c, cfg, size, deadlineMs, log);
      runs.push(r);
      log(
        `  ${c.name} run ${i + 1}/${size.runs}: converged ${r.fromFirstMs.toFixed(0)} ms after the first write, ${r.fromLastMs.toFixed(0)} ms after the last ` +
          `(writing took ${r.writeMs.toFixed(0)} ms; confirmed ${r.confirmed}); rsync invocations seen: ${r.rsyncInvocations}; own counts ${JSON.stringify(r.selfCounts)}`,
      );
    }
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message, runs };
  }
  return { ...base, status: 'ok', runs };
}
