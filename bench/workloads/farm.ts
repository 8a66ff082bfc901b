/**
 * farm: livemirror on the netns cluster of the end-to-end harness — one upload node replicating
 * to four web nodes over rsync daemons while uploads churn, and web3 down for an outage — run as
 * the scenario `farm-1to4` (e2e/scenarios/farm-1to4.ts) and reported from its figures: the lag
 * of the live replicas while web3 was down (the daemon's status, sampled) and the end-to-end
 * delay of probe files to them. livemirror alone: lsyncd has no place in that harness. Needs
 * root (network namespaces); otherwise "not installed". The scenario's own checks (nothing lost,
 * every replica equal at the end, the live replicas unaffected) decide `failed`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { repoRoot } from '../outputs.js';
import type { FarmResult } from '../results.js';

interface Summary {
  readonly results: readonly { readonly passed: boolean; readonly durationMs: number; readonly figures: Readonly<Record<string, unknown>>; readonly error?: string; readonly checks: readonly { readonly ok: boolean; readonly name: string; readonly detail?: string }[] }[];
}

export async function runFarm(log: (s: string) => void): Promise<FarmResult> {
  const base = { workload: 'farm' as const, contestant: 'livemirror' as const };
  if (process.getuid?.() !== 0) return { ...base, status: 'not installed', reason: 'the netns cluster needs root (ip netns)' };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-bench-farm-'));
  try {
    const summaryFile = path.join(dir, 'summary.json');
    // Bounded: e2e/run.ts kills a scenario past 10 minutes.
    const run = await execa('npx', ['tsx', 'e2e/run.ts', 'farm-1to4', '--summary', summaryFile], { cwd: repoRoot, reject: false, all: true, timeout: 12 * 60_000 });
    const r = (JSON.parse(readFileSync(summaryFile, 'utf8')) as Summary).results[0];
    if (!r) return { ...base, status: 'failed', reason: `no scenario result (exit ${run.exitCode}): ${String(run.all).slice(-500)}` };
    const num = (k: string) => Number(r.figures[k]);
    const figures = {
      durationMs: r.durationMs,
      outageMs: num('outage_ms'),
      liveLagP50Ms: num('live_lag_p50_ms'),
      liveLagP99Ms: num('live_lag_p99_ms'),
      liveLagMaxMs: num('live_lag_max_ms'),
      delayP50Ms: num('e2e_delay_live_p50_ms'),
      delayP99Ms: num('e2e_delay_live_p99_ms'),
    };
    log(`  farm-1to4 ${r.passed ? 'passed' : 'FAILED'} in ${(r.durationMs / 1000).toFixed(0)} s: live lag while web3 was down p50 ${figures.liveLagP50Ms} ms, p99 ${figures.liveLagP99Ms} ms; probe delay p50 ${figures.delayP50Ms} ms, p99 ${figures.delayP99Ms} ms`);
    if (!r.passed) {
      const failedChecks = r.checks.filter((c) => !c.ok).map((c) => `${c.name}${c.detail ? `: ${c.detail.slice(0, 300)}` : ''}`);
      return { ...base, status: 'failed', reason: `farm-1to4 failed: ${r.error ?? failedChecks.join('; ')}`, ...figures };
    }
    return { ...base, status: 'ok', ...figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
