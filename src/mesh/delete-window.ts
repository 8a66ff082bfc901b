/**
 * Counts this node's own net loss of paths over a sliding window, for the safety valve (push.ts):
 * a source emptied or unmounted shows up as many paths deleted and none made within moments,
 * whether the pipeline settles them in one batch or in ten. Paths made in the same window offset
 * the deletions, so a rename of a big directory (its old paths deleted, its new ones made) or a
 * tree rewritten in place never counts as a loss. Pure: times are arguments. Memory is bounded
 * by one pair of counters per second of the window.
 */
export class DeleteWindow {
  /** Whole second → paths deleted and made in it. */
  private readonly buckets = new Map<number, { deleted: number; made: number }>();

  constructor(private readonly windowMs: number) {}

  note(deleted: number, made: number, now: number): void {
    if (deleted <= 0 && made <= 0) return;
    const s = Math.floor(now / 1000);
    const b = this.buckets.get(s) ?? { deleted: 0, made: 0 };
    b.deleted += Math.max(0, deleted);
    b.made += Math.max(0, made);
    this.buckets.set(s, b);
    this.prune(now);
  }

  /** Paths deleted minus paths made (at least 0) within the window before `now`, not before `since`. */
  netLoss(now: number, since = -Infinity): number {
    this.prune(now);
    const from = Math.max(now - this.windowMs, since);
    let n = 0;
    for (const [s, b] of this.buckets) if ((s + 1) * 1000 > from) n += b.deleted - b.made;
    return Math.max(0, n);
  }

  private prune(now: number): void {
    for (const s of this.buckets.keys()) if ((s + 1) * 1000 <= now - this.windowMs) this.buckets.delete(s);
  }
}
