import type { Clock, TimerHandle } from '../../src/core/clock.js';

/**
 * A Clock whose time moves only when the test says so. Timers fire in due order (ties in the
 * order they were set) while `advance` walks the clock forward to each one.
 */
export class FakeClock implements Clock {
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  constructor(private time = 0) {}

  now = (): number => this.time;

  setTimeout = (fn: () => void, ms: number): TimerHandle => {
    const id = ++this.seq;
    this.pending.set(id, { at: this.time + Math.max(0, ms), fn });
    return id;
  };

  clearTimeout = (t: TimerHandle | undefined): void => {
    if (typeof t === 'number') this.pending.delete(t);
  };

  /** Timers set and not yet fired or cleared. */
  get armed(): number {
    return this.pending.size;
  }

  /** Moves time forward by `ms`, firing every timer that falls due, synchronously. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      const next = this.nextDue(end);
      if (!next) break;
      this.fire(next);
    }
    this.time = end;
  }

  /**
   * The same for code that reacts on promises: after each timer (and at the end) it lets
   * pending promise callbacks and I/O callbacks run (`settle`).
   */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.time + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      const next = this.nextDue(end);
      if (!next) break;
      this.fire(next);
      await settle();
    }
    this.time = end;
    await settle();
  }

  private nextDue(end: number): [number, { at: number; fn: () => void }] | undefined {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const e of this.pending) if (e[1].at <= end && (!best || e[1].at < best[1].at)) best = e;
    return best;
  }

  private fire([id, t]: [number, { at: number; fn: () => void }]): void {
    this.pending.delete(id);
    this.time = t.at;
    t.fn();
  }
}

/** Lets queued promise callbacks and immediates run (a few rounds: chains settle in steps). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
