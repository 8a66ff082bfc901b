import type { RelPath } from '../core/path.js';
import { sameState, type PathState } from './record.js';

export interface LoopRule {
  /** ms a received version is remembered, and bounces are counted over. */
  windowMs: number;
  /** Bounces of one path within the window past which it is damped (and a warning logged). */
  threshold: number;
  /** ms cap of a damped path's hold. */
  maxHoldMs: number;
}

/**
 * Counts bounces: this node sending a path in the very state a peer sent it here moments ago,
 * i.e. passing on what it received instead of what it wrote — the sign of a sync loop. In a
 * protected mesh that cannot happen (a received version matches its record and is never sent);
 * with protection off (`meshProtection: off`) it is what a loop looks like from inside. Pure:
 * times are arguments. Memory is bounded by what arrived within one window.
 */
export class LoopDetector {
  private readonly received = new Map<RelPath, { state: PathState; at: number }[]>();
  private readonly bounces = new Map<RelPath, number[]>();
  private total = 0;

  constructor(private readonly rule: LoopRule) {}

  /** A peer's version of `path` arrived (applied, or seen in an informational manifest). */
  noteReceived(path: RelPath, state: PathState, now: number): void {
    const list = (this.received.get(path) ?? []).filter((r) => now - r.at < this.rule.windowMs);
    list.push({ state, at: now });
    this.received.set(path, list.slice(-4));
    if (this.received.size > 100_000) this.prune(now);
  }

  /** This node sends `path` in `state`; true (and counted) when that is a bounce. */
  noteSending(path: RelPath, state: PathState | undefined, now: number): boolean {
    if (!state) return false;
    const got = this.received.get(path)?.some((r) => now - r.at < this.rule.windowMs && sameState(r.state, state));
    if (!got) return false;
    this.total++;
    const times = (this.bounces.get(path) ?? []).filter((t) => now - t < this.rule.windowMs);
    times.push(now);
    this.bounces.set(path, times);
    return true;
  }

  /** How long to hold `path` before sending it (0 unless it bounced past the threshold). */
  holdMs(path: RelPath, now: number): number {
    const n = (this.bounces.get(path) ?? []).filter((t) => now - t < this.rule.windowMs).length;
    if (n < this.rule.threshold) return 0;
    return Math.min(this.rule.maxHoldMs, 1000 * 2 ** (n - this.rule.threshold));
  }

  /** Paths at or past the threshold now. */
  damped(now: number): RelPath[] {
    return [...this.bounces].filter(([, ts]) => ts.filter((t) => now - t < this.rule.windowMs).length >= this.rule.threshold).map(([p]) => p);
  }

  get bounceCount(): number {
    return this.total;
  }

  private prune(now: number): void {
    for (const [p, list] of this.received) if (list.every((r) => now - r.at >= this.rule.windowMs)) this.received.delete(p);
    for (const [p, ts] of this.bounces) if (ts.every((t) => now - t >= this.rule.windowMs)) this.bounces.delete(p);
  }
}
