import { setTimeout as delay } from 'node:timers/promises';

export interface PollOptions {
  /** Give up after this long (ms from the first attempt). */
  readonly deadlineMs: number;
  /** Give up after this many attempts. Default 10 000. */
  readonly maxAttempts?: number;
  /** First pause between attempts (ms); grows ×1.5 up to `maxIntervalMs`. Default 5. */
  readonly initialIntervalMs?: number;
  readonly maxIntervalMs?: number;
  /** Clock (ms) and pause, replaceable in tests. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export type PollOutcome<T> =
  | { readonly ok: true; readonly value: T; readonly attempts: number; readonly elapsedMs: number }
  | { readonly ok: false; readonly last: T | undefined; readonly attempts: number; readonly elapsedMs: number };

/**
 * Calls `attempt` until it returns `{done: true}`, bounded in time and count, pausing with a
 * growing interval in between (never longer than what is left before the deadline). An attempt
 * that throws ends the poll with that error. Never sleeps after the deadline.
 */
export async function poll<T>(
  attempt: () => Promise<{ done: boolean; value: T }>,
  opts: PollOptions,
): Promise<PollOutcome<T>> {
  const now = opts.now ?? (() => performance.now());
  const sleep = opts.sleep ?? ((ms: number) => delay(ms));
  const maxAttempts = opts.maxAttempts ?? 10_000;
  const maxInterval = opts.maxIntervalMs ?? 250;
  let interval = opts.initialIntervalMs ?? 5;
  const start = now();
  let last: T | undefined;
  for (let attempts = 1; attempts <= maxAttempts; attempts++) {
    const r = await attempt();
    last = r.value;
    const elapsedMs = now() - start;
    if (r.done) return { ok: true, value: r.value, attempts, elapsedMs };
    const left = opts.deadlineMs - elapsedMs;
    if (left <= 0 || attempts === maxAttempts) return { ok: false, last, attempts, elapsedMs };
    await sleep(Math.min(interval, left));
    interval = Math.min(maxInterval, interval * 1.5);
  }
  return { ok: false, last, attempts: maxAttempts, elapsedMs: now() - start };
}

/** `poll` for a boolean condition; resolves true when it held before the deadline. */
export async function waitFor(cond: () => Promise<boolean> | boolean, opts: PollOptions): Promise<boolean> {
  const r = await poll(async () => ({ done: await cond(), value: undefined }), opts);
  return r.ok;
}

/**
 * Resolves once `cond()` holds, checking every `intervalMs` (bounded by the deadline and a count);
 * throws "timed out after N ms waiting for <what>" when it did not hold in time.
 */
export async function waitUntil(cond: () => Promise<boolean> | boolean, what: string, deadlineMs = 10_000, intervalMs = 20): Promise<void> {
  if (!(await waitFor(cond, fixedInterval(deadlineMs, intervalMs)))) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
}

/** Options for a poll at a fixed interval: as many attempts as fit before the deadline (and two more). */
export function fixedInterval(deadlineMs: number, intervalMs: number): PollOptions {
  return { deadlineMs, maxAttempts: Math.ceil(deadlineMs / Math.max(1, intervalMs)) + 2, initialIntervalMs: intervalMs, maxIntervalMs: intervalMs };
}
