/**
 * Time as a collaborator (DESIGN.md rules 2 and 3): every part of the daemon that reads the time
 * or waits takes a Clock; `realClock` is the default and the only place in src/ that touches
 * `performance.now()` or the timer functions. Tests pass a fake one (test/support/fake-clock.ts)
 * and run the whole daemon on it.
 */
export interface Clock {
  /** ms since the epoch, monotonic within the process (performance.timeOrigin + performance.now()). */
  now(): number;
  /** Calls `fn` once after `ms`; the handle goes to clearTimeout. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(t: TimerHandle | undefined): void;
}

/** Opaque: whatever the clock's setTimeout returned. */
export type TimerHandle = unknown;

export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout | undefined),
};
