import type { Change } from '../core/change.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { FsEvent } from '../core/event.js';
import type { SettleRule } from '../core/tunables.js';
import { ChangeSet } from './combine.js';
import { isDue, nextDue } from './settle.js';

/**
 * Holds changes until they settle, then hands them on: the timer half of `settle.ts`, whose
 * rule it applies. Its only effect is one timer on the given clock: armed only while something
 * is pending, for the earliest due time (an event can only push a path's due time later, never
 * earlier, so an armed timer is never late).
 */
export class Settler {
  private readonly pending = new ChangeSet();
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;

  constructor(
    private readonly rule: SettleRule,
    private readonly release: (changes: Change[]) => void,
    private readonly clock: Clock,
  ) {}

  get size(): number {
    return this.pending.size;
  }

  add(events: readonly FsEvent[]): void {
    for (const ev of events) this.pending.addEvent(ev);
    if (this.pending.size > 0) this.arm(this.clock.now() + this.rule.quietMs);
  }

  /** Releases everything now, settled or not (shutdown). */
  flush(): void {
    this.disarm();
    const all = this.pending.take();
    if (all.length > 0) this.release(all);
  }

  stop(): void {
    this.disarm();
  }

  private arm(at: number): void {
    if (this.timer !== undefined && this.timerAt <= at) return;
    this.disarm();
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, at - this.clock.now()));
  }

  private disarm(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    const due = this.pending.take((c) => isDue(c, now, this.rule));
    // A replica's lag counts from when a change was complete on the source (its last event), not
    // from its first: a 5 s upload held until it was finished is not 5 s of replication lag.
    for (const c of due) c.first = c.last;
    if (due.length > 0) this.release(due);
    const next = nextDue(this.pending.values(), this.rule);
    if (next !== undefined) this.arm(Math.max(next, now + 1));
  }
}
