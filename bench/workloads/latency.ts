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
import type { LatencyResult } from '../results.js';
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

export async function runLatency(c: Contestant, cfg: BenchConfig, log: (s: string) => void): Promise<LatencyResult> {
  const deadlineMs = c.latencyDeadlineMs ?? 30_000;
  const n = c.name === 'lsyncd-default' ? Math.min(cfg.latency.samples, cfg.latency.lsyncdDefaultSamples) : cfg.latency.samples;
  const phaseJitterMs = c.periodMs ?? 0;
  const base = { workload: 'latency' as const, contestant: c.name, deadlineMs, pauseMs: cfg.latency.pauseMs, phaseJitterMs };
  const samples: LatencySample[] = [];
  const avail = await c.available();
  if (!avail.ok) return { ...base, status: 'not installed', reason: avail.reason, samples, summary: summarizeLatency(samples) };
  // A fixed seed: the same phases every run, so two runs of rsync-loop compare.
  const rng = createRng(`latency-${c.name}`);
  try {
    await withTree(cfg.replicas, async (t) => {
      const running = await c.start(t);
      try {
        for (let i = 0; i < n; i++) {
          const ms = await sample(t.source, t.replicas, i, deadlineMs, cfg.latency.pollMs);
          samples.push(ms === undefined ? { i, miss: true, deadlineMs } : { i, ms });
          log(`  ${c.name} sample ${i + 1}/${n}: ${ms === undefined ? `MISS (not on every replica within ${deadlineMs} ms)` : `${ms.toFixed(1)} ms`}`);
          await delay(cfg.latency.pauseMs + rng.next() * phaseJitterMs);
        }
      } finally {
        await running.stop();
      }
    });
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message, samples, summary: summarizeLatency(samples) };
  }
  return { ...base, status: 'ok', samples, summary: summarizeLatency(samples) };
}
