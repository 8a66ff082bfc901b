/**
 * latency: one small file written to the source → present with the right size and content on
 * every replica. N samples one after another on one running contestant, each bounded by the
 * contestant's deadline: a sample past it is recorded as a miss. Replicas are checked every
 * `pollMs` (1 ms) with stat, and the content read once the size is right.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createRng } from '../../e2e/harness/prng.js';
import type { BenchConfig } from '../config.js';
import type { Contestant } from '../contestants.js';
import { withTree } from '../processes.js';
import type { LatencyResult, Outcome } from '../results.js';
import { summarizeLatency, type LatencySample } from '../stats.js';

/** Writes one file and waits for it on every replica; the ms it took, or undefined past the deadline. */
async function sample(source: string, replicas: readonly string[], i: number, deadlineMs: number, pollMs: number): Promise<number | undefined> {
  const name = `latency-${i}.txt`;
  const content = `latency sample ${i}\n`;
  const size = Buffer.byteLength(content);
  const pending = new Set(replicas.map((r) => path.join(r, name)));
  const t0 = performance.now();
  writeFileSync(path.join(source, name), content);
  const maxPolls = Math.ceil(deadlineMs / Math.max(1, pollMs)) + 2;
  for (let k = 0; k < maxPolls; k++) {
    for (const p of pending) {
      if (statSync(p, { throwIfNoEntry: false })?.size !== size) continue;
      if (readFileSync(p, 'utf8') === content) pending.delete(p);
    }
    const elapsed = performance.now() - t0;
    if (pending.size === 0) return elapsed;
    if (elapsed > deadlineMs) return undefined;
    await delay(pollMs);
  }
  return undefined;
}

export interface SamplingPlan {
  /** Where the label of each logged sample comes from (a contestant, or a contestant's variant). */
  readonly label: string;
  readonly n: number;
  readonly deadlineMs: number;
  readonly pollMs: number;
  readonly pauseMs: number;
  /** Up to this many ms more after each sample, at a seeded random phase (rsync-loop's period). */
  readonly phaseJitterMs: number;
}

/**
 * Takes `plan.n` samples one after another on a running contestant, pushing each into `into` as
 * it is taken (so a caller that catches an error keeps the samples taken before it).
 */
export async function takeLatencySamples(source: string, replicas: readonly string[], plan: SamplingPlan, into: LatencySample[], log: (s: string) => void): Promise<void> {
  // A fixed seed: the same phases every run, so two runs of rsync-loop compare.
  const rng = createRng(`latency-${plan.label}`);
  for (let i = 0; i < plan.n; i++) {
    const ms = await sample(source, replicas, i, plan.deadlineMs, plan.pollMs);
    into.push(ms === undefined ? { i, miss: true, deadlineMs: plan.deadlineMs } : { i, ms });
    log(`  ${plan.label} sample ${i + 1}/${plan.n}: ${ms === undefined ? `MISS (not on every replica within ${plan.deadlineMs} ms)` : `${ms.toFixed(1)} ms`}`);
    await delay(plan.pauseMs + rng.next() * plan.phaseJitterMs);
  }
}

/** The line run.ts prints for a latency result. */
export const latencyLine = (label: string, r: Pick<LatencyResult, 'summary'> & Outcome): string => {
  const s = r.summary;
  return r.status === 'ok' ? `  ${label}: p50 ${s.p50.toFixed(1)} ms, p90 ${s.p90.toFixed(1)} ms, max ${s.max.toFixed(1)} ms, ${s.misses} misses` : `  ${label}: ${r.status}: ${r.reason}`;
};

export async function runLatency(c: Contestant, cfg: BenchConfig, log: (s: string) => void): Promise<LatencyResult> {
  const deadlineMs = c.latencyDeadlineMs ?? 30_000;
  const n = c.name === 'lsyncd-default' ? Math.min(cfg.latency.samples, cfg.latency.lsyncdDefaultSamples) : cfg.latency.samples;
  const phaseJitterMs = c.periodMs ?? 0;
  const base = { workload: 'latency' as const, contestant: c.name, deadlineMs, pauseMs: cfg.latency.pauseMs, phaseJitterMs };
  const samples: LatencySample[] = [];
  const avail = await c.available();
  if (!avail.ok) return { ...base, status: 'not installed', reason: avail.reason, samples, summary: summarizeLatency(samples) };
  try {
    await withTree(cfg.replicas, async (t) => {
      const running = await c.start(t);
      try {
        await takeLatencySamples(t.source, t.replicas, { label: c.name, n, deadlineMs, pollMs: cfg.latency.pollMs, pauseMs: cfg.latency.pauseMs, phaseJitterMs }, samples, log);
      } finally {
        await running.stop();
      }
    });
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message, samples, summary: summarizeLatency(samples) };
  }
  return { ...base, status: 'ok', samples, summary: summarizeLatency(samples) };
}
