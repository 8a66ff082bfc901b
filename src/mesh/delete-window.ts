/**
 * Counts this node's own deletions over a sliding window, for the safety valve (push.ts): a
 * source emptied or unmounted shows up as many deletions recorded within moments, whether the
 * pipeline settles them in one batch or in ten. Pure: times are arguments. Memory is bounded by
 * one counter per second of the window.
 */
export class DeleteWindow {
  /** Whole second → deletions recorded in it. */
  private readonly buckets = new Map<number, number>();

  constructor(private readonly windowMs: number) {}

  note(count: number, now: number): void {
    if (count <= 0) return;
    const s = Math.floor(now / 1000);
    this.buckets.set(s, (this.buckets.get(s) ?? 0) + count);
    this.prune(now);
  }

  /** Deletions recorded within the window before `now`, and not before `since`. */
  count(now: number, since = -Infinity): number {
    this.prune(now);
    const from = Math.max(now - this.windowMs, since);
    let n = 0;
    for (const [s, c] of this.buckets) if ((s + 1) * 1000 > from) n += c;
    return n;
  }

  private prune(now: number): void {
    for (const s of this.buckets.keys()) if ((s + 1) * 1000 <= now - this.windowMs) this.buckets.delete(s);
  }
}
