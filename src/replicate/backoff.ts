export interface BackoffRule {
  /** ms of the first retry. */
  initialMs: number;
  /** ms cap of any retry. */
  maxMs: number;
}

/**
 * The delay before retry number `attempt` (1 = the first retry): exponential backoff with ±25 %
 * jitter and a hard cap, so replicas that failed together do not retry in lockstep and no delay
 * exceeds `maxMs`. With step = min(maxMs, initialMs · 2^(attempt-1)) the result is a whole number
 * of ms, uniform in [0.75·step, min(1.25·step, maxMs)]. Pure: `rand` returns a number in [0, 1);
 * attempt < 1 counts as 1.
 */
export function delayFor(attempt: number, rule: BackoffRule, rand: () => number = Math.random): number {
  const n = Math.max(1, Math.floor(attempt));
  // 2^(n-1) overflows to Infinity for huge n; min() caps it.
  const step = Math.min(rule.maxMs, rule.initialMs * 2 ** (n - 1));
  const lo = 0.75 * step;
  const hi = Math.min(1.25 * step, rule.maxMs);
  const r = Math.min(Math.max(rand(), 0), 1);
  return Math.round(lo + (hi - lo) * r);
}
