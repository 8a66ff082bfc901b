import type { RelPath } from '../core/path.js';
import { sameState, type PathState } from './record.js';
import { compareVersions, type VersionVector } from './version.js';

export interface LoopRule {
  /** ms a received version is remembered, and bounces are counted over. */
  windowMs: number;
  /** Bounces of one path within the window past which it is damped (and a warning logged). */
  threshold: number;
  /** ms cap of a damped path's hold. */
  maxHoldMs: number;
}

/**
 * Counts bounces: this node sending, as a change of its own, a path in the very state a peer
 * sent it here moments ago — passing on what it received instead of what it wrote, the sign of
 * a sync loop. With protection off (`meshProtection: off`) every send is checked: that is what
 * a loop looks like from inside. In a protected mesh a received version matches its record and
 * is never taken for a local one; what is checked there is every new local version (a bounce
 * would mean that echo suppression failed). Pure: times are arguments. Memory is bounded by
 * what arrived within one window.
 */
export class LoopDetector {
  private readonly received = new Map<RelPath, { state: PathState; vv?: VersionVector; at: number }[]>();
  private readonly bounces = new Map<RelPath, number[]>();
  private total = 0;

  constructor(private readonly rule: LoopRule) {}

  /** A peer's version of `path` arrived (applied with its vector, or seen in an informational manifest). */
  noteReceived(path: RelPath, state: PathState, now: number, vv?: VersionVector): void {
    const list = (this.received.get(path) ?? []).filter((r) => now - r.at < this.rule.windowMs);
    list.push({ state, at: now, ...(vv ? { vv } : {}) });
    this.received.set(path, list.slice(-4));
    if (this.received.size > 100_000) this.prune(now);
  }

  /**
   * Exactly the version (state and vector) a peer delivered within the window: a local change
   * still queued when that newer version overtook it. Its maker sends it to every peer; passing
   * it on again would only cost a transfer that every receiver ignores.
   */
  wasReceived(path: RelPath, state: PathState | undefined, vv: VersionVector, now: number): boolean {
    if (!state) return false;
    return this.received.get(path)?.some((r) => now - r.at < this.rule.windowMs && r.vv !== undefined && sameState(r.state, state) && compareVersions(r.vv, vv) === 'equal') ?? false;
  }

  /** This node sends `path` in `state` as its own change; true (and counted) when that is a bounce. */
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
