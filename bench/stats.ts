/**
 * Figures from samples (pure): nearest-rank percentiles, the median, and the latency summary
 * the report and the charts share. Misses (samples that did not arrive by their deadline) are
 * counted beside the percentiles, never folded into them and never dropped.
 */

/**
 * The nearest-rank percentile of `xs` (p in [0, 100]): the smallest sample with at least p% of
 * the samples at or below it. NaN for no samples. p99 of fewer than 100 samples is the maximum.
 */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile: p must be within 0..100, got ${p}`);
  const sorted = [...xs].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

/** The median as the report uses it: the nearest-rank 50th percentile (a sample, never an average). */
export const median = (xs: readonly number[]): number => percentile(xs, 50);

/** One latency sample: the ms until all replicas had the file, or a miss at its deadline. */
export type LatencySample = { readonly i: number; readonly ms: number } | { readonly i: number; readonly miss: true; readonly deadlineMs: number };

export interface LatencySummary {
  /** Samples taken, hits and misses together. */
  readonly n: number;
  readonly misses: number;
  /** Over the hits only (NaN when there are none). */
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
}

export const isHit = (s: LatencySample): s is { i: number; ms: number } => 'ms' in s;

export function summarizeLatency(samples: readonly LatencySample[]): LatencySummary {
  const hits = samples.filter(isHit).map((s) => s.ms);
  return {
    n: samples.length,
    misses: samples.length - hits.length,
    p50: percentile(hits, 50),
    p90: percentile(hits, 90),
    p99: percentile(hits, 99),
    max: hits.length === 0 ? NaN : Math.max(...hits),
  };
}

/** a / b, or NaN when either is not a positive finite number. */
export function ratio(a: number, b: number): number {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 && a >= 0 ? a / b : NaN;
}
