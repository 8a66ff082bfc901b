import type { Logger } from 'pino';
import type { Change } from '../pipeline/change.js';
import { ChangeSet } from '../pipeline/combine.js';
import { plan } from '../pipeline/plan.js';
import { delayFor } from './backoff.js';
import { runBatchPasses, runFullSync, type Failure, type Outcome, type PassContext } from './batch-run.js';
import { renamerFor } from './renamer-for.js';
import { formatReport } from './report-format.js';
import { runRsync as realRunRsync, type RunRsync } from './rsync-run.js';
import { errorText, type Renamer } from './transport.js';
import type { BatchReport, ReplicaSpec, ReplicaState, ReplicaStatus, ReplicaTunables } from './types.js';
import { realTimers, type Timers } from '../timers.js';


export interface ReplicaDeps {
  /** Absolute path of the source tree. */
  root: string;
  /** rsync exclude patterns (tree and full passes). */
  excludes: readonly string[];
  log: Logger;
  /** ms; must be the clock the changes' times come from. Default: performance.timeOrigin + performance.now(). */
  clock?: () => number;
  runRsync?: RunRsync;
  /** Default: by target kind (renamer-for.ts); `null`: never rename. */
  renamer?: Renamer | null;
  timers?: Timers;
  /** [0,1) for the backoff jitter. */
  rand?: () => number;
  /** Every report, after it is logged (metrics, tests). */
  onReport?: (r: BatchReport) => void;
}

/**
 * One replica: its queue, its state (see ReplicaState) and the rsync/rename runs that drain it.
 *
 * Contract:
 *  - Methods never block and never throw; everything a replica does runs on its own promise
 *    chain and timers, so a slow or dead replica delays no one else. At most one batch runs at a
 *    time; changes arriving meanwhile accumulate (folded by ChangeSet) and leave as ONE batch as
 *    soon as the running one ends — no fixed delay, no rsync per file.
 *  - A batch runs: renames (when the transport can and `spec.renames`), the tree pass, the files
 *    pass (writes, plus deletes for local/ssh targets: --delete-missing-args deletes what is
 *    gone), then for daemon targets the deletes pass (after the writes, so --fuzzy can still use
 *    a renamed file's old copy). Empty passes are skipped. A queue holding the root ('') runs as
 *    one full sync instead (state `resync`).
 *  - A failed attempt puts the batch's changes back in front of the queue. Retryable failures
 *    wait `delayFor(attempt)` (state `backoff`) and retry everything queued as one batch;
 *    an outage longer than `resyncAfterMs` turns the next attempt into a full resync, as does a
 *    queue past `queueCap` at any time. Fatal failures halt the replica (state `halted`, with
 *    `lastError`); changes keep queueing. `requestFullSync()` revives a halted replica (the
 *    daemon's config reload replaces replicas whose spec changed, which revives them too).
 *  - Changes are acknowledged (gone from `status()`) only when every pass of their batch
 *    succeeded; a batch killed by `stop()` is not.
 */
export class Replica {
  private readonly queue = new ChangeSet();
  private state: ReplicaState = 'idle';
  private inFlight: Change[] = [];
  private inFlightOldest: number | undefined;
  private running: Promise<void> | undefined;
  /** Set from the moment a batch starts (before `running` is assigned: reports emitted
   *  synchronously at its start may re-enter through a listener). */
  private active = false;
  private abort: AbortController | undefined;
  private backoffTimer: unknown;
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;
  private killed = false;
  private attempts = 0;
  private outageSince: number | undefined;
  private lastSuccess: number | undefined;
  private lastError: ReplicaStatus['lastError'];
  private fullSyncs = 0;
  private batches = 0;
  private fullReason = 'requested';
  private idleWaiters: (() => void)[] = [];
  private initialPending = false;
  private initialDone!: () => void;
  private readonly initial: Promise<void>;

  private readonly clock: () => number;
  private readonly run: RunRsync;
  private readonly renamer: Renamer | undefined;
  private readonly timers: Timers;
  private readonly rand: () => number;

  constructor(
    readonly spec: ReplicaSpec,
    private readonly tunables: ReplicaTunables,
    private readonly deps: ReplicaDeps,
  ) {
    this.clock = deps.clock ?? (() => performance.timeOrigin + performance.now());
    this.run = deps.runRsync ?? realRunRsync;
    this.renamer = deps.renamer === null ? undefined : (deps.renamer ?? renamerFor(spec, tunables));
    this.timers = deps.timers ?? realTimers;
    this.rand = deps.rand ?? Math.random;
    this.initial = new Promise((resolve) => (this.initialDone = resolve));
  }

  /**
   * Starts draining the queue. With `initialSync`, the first run is one full sync (state
   * `resync`, progress logged); changes enqueued meanwhile go out after it. Idempotent.
   */
  start(opts: { initialSync: boolean }): void {
    if (this.started || this.stopping) return;
    this.started = true;
    if (opts.initialSync) {
      this.initialPending = true;
      this.fullReason = 'initial sync';
      this.queue.collapseToRoot(this.clock());
    } else {
      this.initialDone();
    }
    this.kick();
  }

  /** Queues settled changes (copied: the caller may hand the same objects to every replica). */
  enqueue(changes: readonly Change[]): void {
    for (const c of changes) this.queue.addChange({ ...c });
    this.checkCap();
    this.kick();
  }

  /** Replaces the queue by one full sync; revives a halted replica. A pending backoff still waits. */
  requestFullSync(reason: string): void {
    this.collapse('requested', reason);
    if (this.state === 'halted' && !this.stopping) {
      this.attempts = 0;
      this.outageSince = undefined;
      this.setState('idle');
    }
    this.kick();
  }

  status(): ReplicaStatus {
    const now = this.clock();
    const oldest = minDefined(this.queue.oldest(), this.inFlightOldest);
    const s: ReplicaStatus = {
      name: this.spec.name,
      target: this.spec.targetText,
      state: this.state,
      queued: this.queue.size,
      lagMs: oldest === undefined ? 0 : Math.max(0, Math.round(now - oldest)),
      inFlight: this.inFlight.length,
      attempts: this.attempts,
      fullSyncs: this.fullSyncs,
      batches: this.batches,
    };
    if (this.lastSuccess !== undefined) s.lastSuccess = this.lastSuccess;
    if (this.lastError !== undefined) s.lastError = { ...this.lastError };
    return s;
  }

  /**
   * Resolves once nothing is queued or in flight (state idle), or once nothing more will happen
   * without help (halted, or stopped); check `status()` to tell which.
   */
  whenIdle(): Promise<void> {
    if (this.isSettled()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Resolves once the initial full sync has finished, failed (backoff or halted), or stop() ran. */
  initialSyncSettled(): Promise<void> {
    return this.initial;
  }

  /**
   * Stops taking work: no new batch starts, a pending retry is cancelled; a running batch gets
   * `graceMs` to finish, then its rsync is killed (SIGTERM, SIGKILL after killGraceMs). Changes
   * not acknowledged stay in the queue, are reported (kind `stopped`) and leave the replica
   * `halted` with a lastError saying how many. Idempotent.
   */
  stop(graceMs: number): Promise<void> {
    this.stopped ??= this.doStop(graceMs);
    return this.stopped;
  }

  private async doStop(graceMs: number): Promise<void> {
    this.stopping = true;
    this.clearBackoff();
    const running = this.running;
    if (running) {
      const t = this.timers.setTimeout(() => {
        this.killed = true;
        this.abort?.abort();
      }, graceMs);
      await running;
      this.timers.clearTimeout(t);
    }
    await this.renamer?.close().catch(() => {});
    const unsent = this.queue.size;
    if (unsent > 0) {
      this.lastError = { time: this.clock(), message: `stopped with ${unsent} changes not sent` };
      this.setState('halted');
    } else {
      this.setState('idle');
    }
    this.emit({ kind: 'stopped', unsent, killed: this.killed });
    this.initialDone();
    this.notifyIdle();
  }

  private isSettled(): boolean {
    if (this.active) return false;
    if (this.state === 'halted' || this.stopped) return true;
    return this.state === 'idle' && this.queue.size === 0;
  }

  private notifyIdle(): void {
    if (!this.isSettled()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Starts the next batch if the replica may run one now. */
  private kick(): void {
    if (!this.started || this.stopping || this.active || this.backoffTimer !== undefined || this.state === 'halted') return;
    if (this.queue.size === 0) {
      this.setState('idle');
      this.notifyIdle();
      return;
    }
    if (this.outageSince !== undefined && this.clock() - this.outageSince > this.tunables.resyncAfterMs && !this.queueIsRootOnly()) {
      this.collapse('outage', `unreachable for ${Math.round((this.clock() - this.outageSince) / 1000)} s (resyncAfter ${this.tunables.resyncAfterMs} ms)`);
    }
    this.active = true;
    const p = this.runBatch().finally(() => {
      this.active = false;
      this.running = undefined;
      this.kick();
      this.notifyIdle();
    });
    this.running = p;
  }

  private async runBatch(): Promise<void> {
    const changes = this.queue.take();
    const batch = plan(changes);
    const full = batch.trees.includes('');
    this.inFlight = changes;
    this.inFlightOldest = changes.length > 0 ? batch.oldest : undefined;
    this.setState(full ? 'resync' : 'syncing');
    const ac = new AbortController();
    this.abort = ac;
    const t0 = this.clock();
    let outcome: Outcome;
    try {
      const hinted = changes.filter((c) => !c.deleted && c.from !== undefined).length;
      const ctx: PassContext = {
        spec: this.spec,
        tunables: this.tunables,
        root: this.deps.root,
        excludes: this.deps.excludes,
        run: this.run,
        renamer: this.renamer,
        clock: this.clock,
        emit: (r) => this.emit(r),
        signal: ac.signal,
      };
      outcome = full ? await runFullSync(ctx, this.fullReason) : await runBatchPasses(ctx, batch, hinted);
    } catch (e) {
      // Collaborators are not supposed to throw; if one does, treat it as a retryable failure.
      outcome = { ok: false, pass: 'spawn', cls: { verdict: 'retry', reason: errorText(e) } };
    }
    this.abort = undefined;
    this.inFlight = [];
    this.inFlightOldest = undefined;
    const now = this.clock();
    if (outcome.ok) {
      this.attempts = 0;
      this.outageSince = undefined;
      this.lastSuccess = now;
      if (full) {
        this.fullSyncs++;
        this.emit({ kind: 'full-sync', reason: this.fullReason, stats: outcome.stats, durationMs: Math.round(now - t0), exitCode: outcome.exitCode });
      } else {
        this.batches++;
        this.emit({
          kind: 'batch',
          paths: changes.length,
          trees: batch.trees.length,
          writes: batch.writes.length + batch.dirs.length,
          deletes: batch.deletes.length,
          moves: batch.moves.length,
          renamed: outcome.renamed,
          stats: outcome.stats,
          durationMs: Math.round(now - t0),
          exitCode: outcome.exitCode,
          lagMs: Math.max(0, Math.round(now - batch.oldest)),
        });
      }
    } else {
      this.requeue(changes);
      if (!this.stopping) this.fail(outcome, changes.length, now);
    }
    if (full && this.initialPending) {
      this.initialPending = false;
      this.initialDone();
    }
  }

  private fail(outcome: Failure, paths: number, now: number): void {
    const r = outcome.result;
    const detail = firstLine(r?.stderrTail ?? '');
    this.lastError = { time: now, message: detail ? `${outcome.cls.reason}: ${detail}` : outcome.cls.reason };
    if (r?.exitCode !== undefined) this.lastError.exitCode = r.exitCode;
    this.attempts++;
    this.outageSince ??= now;
    const report: Extract<BatchReport, { kind: 'error' }> = {
      kind: 'error',
      pass: outcome.pass,
      verdict: outcome.cls.verdict === 'fatal' ? 'fatal' : 'retry',
      reason: outcome.cls.reason,
      stderrTail: r?.stderrTail ?? '',
      paths,
      attempt: this.attempts,
    };
    if (r?.exitCode !== undefined) report.exitCode = r.exitCode;
    if (r?.signal !== undefined) report.signal = r.signal;
    if (outcome.cls.verdict === 'fatal') {
      this.emit(report);
      this.setState('halted');
      return;
    }
    const delay = delayFor(this.attempts, { initialMs: this.tunables.backoffInitialMs, maxMs: this.tunables.backoffMaxMs }, this.rand);
    report.retryInMs = delay;
    this.emit(report);
    this.setState('backoff');
    this.backoffTimer = this.timers.setTimeout(() => {
      this.backoffTimer = undefined;
      this.kick();
    }, delay);
  }

  /** Puts a failed batch's changes back, ahead of (older than) what arrived while it ran. */
  private requeue(changes: Change[]): void {
    const later = this.queue.take();
    for (const c of changes) this.queue.addChange(c);
    for (const c of later) this.queue.addChange(c);
    this.checkCap();
  }

  private checkCap(): void {
    if (this.queue.size > this.tunables.queueCap) this.collapse('queue-cap', `more than queueCap (${this.tunables.queueCap}) paths queued`);
  }

  private queueIsRootOnly(): boolean {
    return this.queue.size === 1 && this.queue.get('')?.recursive === true;
  }

  private collapse(reason: 'queue-cap' | 'outage' | 'requested', detail: string): void {
    const queued = this.queue.size;
    this.queue.collapseToRoot(this.clock());
    this.fullReason = reason === 'requested' ? detail : reason === 'queue-cap' ? 'queue cap' : 'after an outage';
    this.emit({ kind: 'collapse', reason, queued, detail });
  }

  private clearBackoff(): void {
    if (this.backoffTimer === undefined) return;
    this.timers.clearTimeout(this.backoffTimer);
    this.backoffTimer = undefined;
  }

  private setState(to: ReplicaState): void {
    if (this.state === to) return;
    const from = this.state;
    this.state = to;
    this.emit({ kind: 'state', from, to });
  }

  private emit(r: BatchReport): void {
    const { level, msg } = formatReport(r);
    try {
      this.deps.log[level]({ event: r.kind, ...r }, msg);
      this.deps.onReport?.(r);
    } catch {
      // A failing logger or listener must not break replication.
    }
  }
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}
