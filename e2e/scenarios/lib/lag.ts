/**
 * "A dead replica never delays the others" as a property with a wide margin, plus the figures of
 * what the daemon actually did.
 */
import type { StatusSamples } from './status.js';
import { describeReplica } from './status.js';
import { describeReport, type LoggedReport } from './reports.js';

export { LIVE_LAG_BOUND_MS } from '../../../test/support/bounds.js';

/** The `p`-th percentile (nearest rank) of `xs`; 0 for none. */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
}

export interface LagStats {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  /** Status samples that had the replica. */
  readonly n: number;
  /** The sample with the largest lag: what the replica was doing then. */
  readonly worst: string;
  /** The replica of that sample. */
  readonly worstReplica: string | undefined;
}

/** The lag of the named replicas (pooled) over status samples of one node (index `node`). */
export function lagStats(samples: StatusSamples, replicas: readonly string[], node = 0): LagStats {
  const lags: number[] = [];
  let worst = '';
  let worstReplica: string | undefined;
  let max = -1;
  for (const { at, statuses } of samples.samples) {
    const st = statuses[node];
    for (const r of st?.replicas ?? []) {
      if (!replicas.includes(r.name)) continue;
      lags.push(r.lagMs);
      if (r.lagMs > max) {
        max = r.lagMs;
        worstReplica = r.name;
        worst = `${describeReplica(r, at)}, settling ${st?.settling ?? '?'}`;
      }
    }
  }
  return { p50: percentile(lags, 50), p99: percentile(lags, 99), max: Math.max(0, max), n: lags.length, worst, worstReplica };
}

/** The largest lag at acknowledgement of each replica's batches in [from, to], by replica. */
export function batchLogMax(reports: readonly LoggedReport[], replicas: readonly string[], from: number, to: number): Map<string, number> {
  const out = new Map<string, number>(replicas.map((r) => [r, 0]));
  for (const r of reports) {
    if (r.kind !== 'batch' || !out.has(r.replica) || r.at < from || r.at > to) continue;
    out.set(r.replica, Math.max(out.get(r.replica) ?? 0, r.lagMs));
  }
  return out;
}

/**
 * Why a replica was slow in [from, to], from the log: its batches acknowledged with a lag of
 * `bound` or more, and its errors, source changes and resyncs in the window (the last few).
 */
export function slowBatches(reports: readonly LoggedReport[], replicas: readonly string[], from: number, to: number, bound: number): string {
  const mine = reports.filter((r) => replicas.includes(r.replica) && r.at >= from && r.at <= to);
  const batches = mine.filter((r) => r.kind === 'batch');
  const slow = batches.filter((r) => r.kind === 'batch' && r.lagMs >= bound);
  const trouble = mine.filter((r) => r.kind === 'error' || r.kind === 'source-changed' || r.kind === 'collapse' || r.kind === 'full-sync-start');
  const lines = [`${slow.length} of ${batches.length} batches acknowledged with a lag of ${bound} ms or more`];
  for (const r of slow.slice(-5)) lines.push(`  ${describeReport(r)}`);
  if (trouble.length) lines.push(`${trouble.length} errors/source changes/resyncs, the last:`, ...trouble.slice(-5).map((r) => `  ${describeReport(r)}`));
  return lines.join('\n');
}
