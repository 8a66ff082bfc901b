import type { Logger } from 'pino';
import type { Change } from '../core/change.js';
import { realClock, type Clock } from '../core/clock.js';
import { errorText } from '../core/errors.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { ReplicaStatus } from '../core/status.js';
import type { ReplicaTunables } from '../core/tunables.js';
import { defaults } from '../config/defaults.js';
import { ChangeSet } from '../pipeline/combine.js';
import { plan } from '../pipeline/plan.js';
import { delayFor } from './backoff.js';
import { rsyncPasses, type BatchRunner, type Failure, type Outcome, type PassContext } from './batch-run.js';
import { renamerFor } from './renamer-for.js';
import { runOf, type LastError, type ReplicaState, type Run } from './replica-state.js';
import { formatReport } from './report-format.js';
import { rsyncRunner, type RunRsync } from './rsync-run.js';
import { masterOptions, SshMaster } from './ssh/master.js';
import type { Renamer } from './transport.js';
import type { BatchReport } from './types.js';

export interface ReplicaDeps {
  /** Absolute path of the source tree. */
  root: string;
  /** rsync exclude patterns (tree and full passes). */
  excludes: readonly string[];
  log: Logger;
  /** Must be the clock the changes' times come from. Default: the real one. */
  clock?: Clock;
  /** Default: real rsync processes on `clock`. */
  runRsync?: RunRsync;
  /** What a batch and a full sync run (default: rsync into the replica's tree). */
  runner?: BatchRunner;
  /** Default: by target kind (renamer-for.ts); `null`: never rename. */
  renamer?: Renamer | null;
  /** ssh connection sharing (ssh/master.ts). Default: a master for an ssh target unless
   *  `spec.sshConnectionSharing` is false; `null`: none. */
  sshMaster?: SshMaster | null;
  /** [0,1) for the backoff jitter. */
  rand?: () => number;
  /** Every report, after it is logged (metrics, tests). */
  onReport?: (r: BatchReport) => void;
}

/**
 * One replica: its queue, its state (replica-state.ts) and the runs that drain the queue.
 *
 * Contract:
 *  - Methods never block and never throw; everything a replica does runs on its own promise
 *    chain and timers, so a slow or dead replica delays no one else. At most one run at a time;
 *    changes arriving meanwhile accumulate (folded by ChangeSet) and leave as ONE batch as soon
 *    as the running one ends — no fixed delay, no rsync per file.
 *  - A batch (batch-run.ts) replays the renames first when the transport can and `spec.renames`,
 *    then runs one recursive rsync over the new trees, written files and deleted paths together;
 *    directories whose own attributes changed get a non-recursive pass; when renames were not
 *    replayed, --fuzzy is on and the deletes wait for a pass of their own after the writes. A
 *    queue holding the root ('') runs as one full sync instead (state `resync`).
 *  - A failed run puts its changes back in front of the queue. Retryable failures wait
 *    `delayFor(attempt)` (state `backoff`) and retry everything queued as one batch; an outage
 *    longer than `resyncAfterMs` turns the next attempt into a full resync, as does a queue past
 *    `queueCap` at any time. Fatal failures halt the replica (state `halted`); changes keep
 *    queueing. `requestFullSync()` revives a halted replica (the daemon's config reload
 *    replaces replicas whose spec changed, which revives them too).
 *  - A run whose only complaints are about the source changing under rsync (a file vanished or
 *    was replaced while rsync sent it) is no failure: it counts as done, and the paths it names
 *    go back to the queue for the next batch at once, without backoff (at most
 *    `sourceRaceRetries` times in a row; then it backs off like any failure).
 *  - Changes are acknowledged (gone from `status()`) only when their run succeeded; a run
 *    killed by `stop()` is not.
 */
export class Replica {
  private readonly queue = new ChangeSet();
  private state: ReplicaState = { kind: 'idle' };
  private lifecycle: 'new' | 'running' | 'stopping' = 'new';
  private stopped: Promise<void> | undefined;
  /** The failure streak: since when the replica fails, and how many attempts failed. */
  private outage: { since: number; attempts: number } | undefined;
  /** Runs in a row that met the source changing under them at the same paths (see succeeded()). */
  private raceRuns = 0;
  private lastRaced = new Set<string>();
  private lastSuccess: number | undefined;
  private lastError: LastError | undefined;
  private readonly counts = { batches: 0, fullSyncs: 0 };
  /** Why the queue holds a full sync (when it does). */
  private fullReason = 'requested';
  /** The next run may delete more than the safety valve allows (release()). */
  private massDeleteAllowed = false;
  private idleWaiters: (() => void)[] = [];
  /** Resolves initialSyncSettled(); undefined once it has. */
  private initialDone: (() => void) | undefined;
  private readonly initial: Promise<void>;

  private readonly clock: Clock;
  private readonly run: RunRsync;
  private readonly renamer: Renamer | undefined;
  private readonly rand: () => number;
  /** The ssh master whose connection this replica's rsyncs share (ssh targets). */
  readonly sshMaster: SshMaster | undefined;

  constructor(
    readonly spec: ReplicaSpec,
    private readonly tunables: ReplicaTunables,
    private readonly deps: ReplicaDeps,
  ) {
    this.clock = deps.clock ?? realClock;
    this.run = deps.runRsync ?? rsyncRunner(this.clock);
    this.renamer = deps.renamer === null ? undefined : (deps.renamer ?? renamerFor(spec, tunables, this.clock));
    this.rand = deps.rand ?? Math.random;
    this.sshMaster = deps.sshMaster === null ? undefined : (deps.sshMaster ?? this.defaultMaster());
    this.initial = new Promise((resolve) => (this.initialDone = resolve));
  }

  private defaultMaster(): SshMaster | undefined {
    if (this.spec.target.kind !== 'ssh' || !(this.spec.sshConnectionSharing ?? defaults.sshConnectionSharing)) return undefined;
    return new SshMaster(this.spec, masterOptions(this.tunables), { clock: this.clock, rand: this.rand, onReport: (r) => this.emit(r) });
  }

  /**
   * Starts draining the queue. With `initialSync`, the first run is one full sync (state
   * `resync`, progress logged); changes enqueued meanwhile go out after it. Idempotent.
   */
  start(opts: { initialSync: boolean }): void {
    if (this.lifecycle !== 'new') return;
    this.lifecycle = 'running';
    // Its connection comes up while the first run starts; runs go direct until it is there.
    this.sshMaster?.start();
    if (opts.initialSync) {
      this.fullReason = 'initial sync';
      this.queue.collapseToRoot(this.clock.now());
    } else {
      this.settleInitial();
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
    if (this.state.kind === 'halted' && this.lifecycle === 'running') {
      this.outage = undefined;
      this.setState({ kind: 'idle' });
    }
    this.kick();
  }

  /**
   * Lets the next run past the safety valve (a mesh peer halted because a batch would delete
   * much of its tree: the operator checked and says it is meant) and revives a halted replica.
   */
  release(): void {
    this.massDeleteAllowed = true;
    if (this.state.kind === 'halted' && this.lifecycle === 'running') {
      this.outage = undefined;
      this.setState({ kind: 'idle' });
    }
    this.kick();
  }

  status(): ReplicaStatus {
    const now = this.clock.now();
    const run = runOf(this.state);
    const oldest = minDefined(this.queue.oldest(), run?.oldest);
    const s: ReplicaStatus = {
      name: this.spec.name,
      target: this.spec.targetText,
      state: this.state.kind,
      queued: this.queue.size,
      lagMs: oldest === undefined ? 0 : Math.max(0, Math.round(now - oldest)),
      inFlight: run?.changes.length ?? 0,
      attempts: this.outage?.attempts ?? 0,
      fullSyncs: this.counts.fullSyncs,
      batches: this.counts.batches,
    };
    if (this.lastSuccess !== undefined) s.lastSuccess = this.lastSuccess;
    if (this.lastError !== undefined) s.lastError = { ...this.lastError };
    if (this.state.kind === 'backoff') s.nextAttempt = this.state.nextAttempt;
    if (this.state.kind === 'resync') s.resyncReason = this.state.reason;
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
   * Stops taking work: no new run starts, a pending retry is cancelled; a running one gets
   * `graceMs` to finish, then its rsync is killed (SIGTERM, SIGKILL after killGraceMs). Changes
   * not acknowledged stay in the queue, are reported (kind `stopped`) and leave the replica
   * `halted` with a lastError saying how many. Idempotent.
   */
  stop(graceMs: number): Promise<void> {
    this.stopped ??= this.doStop(graceMs);
    return this.stopped;
  }

  private async doStop(graceMs: number): Promise<void> {
    this.lifecycle = 'stopping';
    if (this.state.kind === 'backoff') this.clock.clearTimeout(this.state.timer);
    let killed = false;
    const run = runOf(this.state);
    if (run?.done) {
      const t = this.clock.setTimeout(() => {
        killed = true;
        run.abort.abort();
      }, graceMs);
      await run.done;
      this.clock.clearTimeout(t);
    }
    await this.renamer?.close().catch(() => {});
    // After the last run: an rsync still running over the master would be cut with it.
    await this.sshMaster?.stop();
    const unsent = this.queue.size;
    if (unsent > 0) {
      const error = { time: this.clock.now(), message: `stopped with ${unsent} changes not sent` };
      this.lastError = error;
      this.setState({ kind: 'halted', error });
    } else {
      this.setState({ kind: 'idle' });
    }
    this.emit({ kind: 'stopped', unsent, killed });
    this.settleInitial();
    this.notifyIdle();
  }

  private isSettled(): boolean {
    if (runOf(this.state)) return false;
    if (this.state.kind === 'halted' || this.stopped) return true;
    return this.state.kind === 'idle' && this.queue.size === 0;
  }

  private notifyIdle(): void {
    if (!this.isSettled()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private settleInitial(): void {
    this.initialDone?.();
    this.initialDone = undefined;
  }

  /**
   * Starts the next run if the replica may run one now: when idle, when a backoff is over (its
   * timer fired), or when `finished` was the run just ended. Otherwise leaves the state alone.
   */
  private kick(finished?: Run): void {
    const s = this.state;
    const free = s.kind === 'idle' || (s.kind === 'backoff' && s.timer === undefined) || (finished !== undefined && runOf(s) === finished);
    if (!free) return;
    if (this.lifecycle !== 'running' || this.queue.size === 0) {
      if (s.kind !== 'idle' && (this.lifecycle === 'running' || runOf(s))) this.setState({ kind: 'idle' });
      this.notifyIdle();
      return;
    }
    const now = this.clock.now();
    if (this.outage && now - this.outage.since > this.tunables.resyncAfterMs && !this.queueIsRootOnly()) {
      this.collapse('outage', `unreachable for ${Math.round((now - this.outage.since) / 1000)} s (resyncAfter ${this.tunables.resyncAfterMs} ms)`);
    }
    const changes = this.queue.take();
    const full = changes.some((c) => c.path === '' && c.recursive && !c.deleted);
    let oldest: number | undefined;
    for (const c of changes) if (oldest === undefined || c.first < oldest) oldest = c.first;
    const run: Run = { changes, oldest, startedAt: now, abort: new AbortController() };
    const batch = full ? undefined : plan(changes);
    this.setState(full ? { kind: 'resync', run, reason: this.fullReason } : { kind: 'syncing', run });
    run.done = this.execute(run, batch).finally(() => {
      this.kick(run);
      this.notifyIdle(); // also when the run left the replica halted
    });
  }

  private async execute(run: Run, batch: ReturnType<typeof plan> | undefined): Promise<void> {
    let outcome: Outcome;
    try {
      const ctx: PassContext = {
        spec: this.spec,
        tunables: this.tunables,
        root: this.deps.root,
        excludes: this.deps.excludes,
        run: this.run,
        renamer: this.renamer,
        clock: this.clock,
        emit: (r) => this.emit(r),
        signal: run.abort.signal,
        massDeleteAllowed: this.massDeleteAllowed,
        ...(this.sshMaster ? { controlPath: () => this.sshMaster?.controlPath } : {}),
      };
      const runner = this.deps.runner ?? rsyncPasses;
      outcome = batch ? await runner.batch(ctx, run.changes, batch) : await runner.full(ctx, this.fullReason);
      if (outcome.ok) this.massDeleteAllowed = false;
    } catch (e) {
      // Collaborators are not supposed to throw; if one does, treat it as a retryable failure.
      outcome = { ok: false, pass: 'spawn', cls: { verdict: 'retry', reason: errorText(e) } };
    }
    const now = this.clock.now();
    if (outcome.ok) this.succeeded(run, batch, outcome, now);
    else {
      this.requeue(run.changes);
      if (this.lifecycle === 'running') this.fail(outcome, run.changes.length, now);
    }
    if (!batch) this.settleInitial();
  }

  private succeeded(run: Run, batch: ReturnType<typeof plan> | undefined, outcome: Extract<Outcome, { ok: true }>, now: number): void {
    // Races at new paths are progress (a busy writer); the same paths failing run after run are
    // a writer that never lets go of them: after sourceRaceRetries such runs, back off.
    const raced = outcome.changedUnder.length > 0;
    const same = raced && outcome.changedUnder.every((p) => this.lastRaced.has(p));
    this.raceRuns = !raced ? 0 : same ? this.raceRuns + 1 : 1;
    this.lastRaced = new Set(outcome.changedUnder);
    if (raced && this.raceRuns > defaults.sourceRaceRetries) {
      this.requeue(run.changes);
      if (this.lifecycle === 'running') this.fail({ ok: false, pass: batch ? 'tree' : 'full', cls: { verdict: 'retry', reason: `the same paths kept changing under rsync ${this.raceRuns} times in a row` } }, run.changes.length, now);
      return;
    }
    this.outage = undefined;
    this.lastSuccess = now;
    const durationMs = Math.round(now - run.startedAt);
    if (!batch) {
      this.counts.fullSyncs++;
      this.emit({ kind: 'full-sync', reason: this.fullReason, stats: outcome.stats, durationMs, exitCode: outcome.exitCode });
    } else {
      this.counts.batches++;
      this.emit({
        kind: 'batch',
        paths: run.changes.length,
        trees: batch.trees.length,
        writes: batch.writes.length + batch.dirs.length,
        deletes: batch.deletes.length,
        moves: batch.moves.length,
        renamed: outcome.renamed,
        stats: outcome.stats,
        durationMs,
        exitCode: outcome.exitCode,
        lagMs: Math.max(0, Math.round(now - batch.oldest)),
      });
    }
    if (raced) this.requeueChangedUnder(run, outcome, now);
  }

  /** The paths a run found changing under it go back to the queue (see the class contract). */
  private requeueChangedUnder(run: Run, outcome: Extract<Outcome, { ok: true }>, now: number): void {
    const again: Change[] = outcome.changedUnder.map((path) => ({ path, recursive: false, isDir: false, deleted: false, first: now, last: now, open: false }));
    // rsync skipped the deletes inside the listed trees: those trees (and deletes) need another go.
    if (outcome.deletionsSkipped) again.push(...run.changes.filter((c) => c.recursive || c.deleted));
    this.emit({ kind: 'source-changed', paths: outcome.changedUnder.length, first: outcome.changedUnder[0] ?? '', deletionsSkipped: outcome.deletionsSkipped, inARow: this.raceRuns });
    for (const c of again) this.queue.addChange(c);
    this.checkCap();
  }

  private fail(outcome: Failure, paths: number, now: number): void {
    const r = outcome.result;
    const detail = firstLine(r?.stderrTail ?? '');
    const error: LastError = { time: now, message: detail ? `${outcome.cls.reason}: ${detail}` : outcome.cls.reason };
    if (r?.exitCode !== undefined) error.exitCode = r.exitCode;
    this.lastError = error;
    this.outage = { since: this.outage?.since ?? now, attempts: (this.outage?.attempts ?? 0) + 1 };
    const attempt = this.outage.attempts;
    const report: Extract<BatchReport, { kind: 'error' }> = {
      kind: 'error',
      pass: outcome.pass,
      verdict: outcome.cls.verdict === 'fatal' ? 'fatal' : 'retry',
      reason: outcome.cls.reason,
      stderrTail: r?.stderrTail ?? '',
      paths,
      attempt,
    };
    if (r?.exitCode !== undefined) report.exitCode = r.exitCode;
    if (r?.signal !== undefined) report.signal = r.signal;
    if (outcome.cls.verdict === 'fatal') {
      this.emit(report);
      this.setState({ kind: 'halted', error });
      return;
    }
    const delay = delayFor(attempt, { initialMs: this.tunables.backoffInitialMs, maxMs: this.tunables.backoffMaxMs }, this.rand);
    report.retryInMs = delay;
    this.emit(report);
    const timer = this.clock.setTimeout(() => {
      if (this.state.kind !== 'backoff' || this.state.timer !== timer) return;
      this.state = { ...this.state, timer: undefined }; // due: kick() may run now
      this.kick();
    }, delay);
    this.setState({ kind: 'backoff', nextAttempt: now + delay, timer, error });
  }

  /** Puts a failed run's changes back, ahead of (older than) what arrived while it ran. */
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
    this.queue.collapseToRoot(this.clock.now());
    this.fullReason = reason === 'requested' ? detail : reason === 'queue-cap' ? 'queue cap' : 'after an outage';
    this.emit({ kind: 'collapse', reason, queued, detail });
  }

  /** Enters `to`, reporting a change of the state's name. */
  private setState(to: ReplicaState): void {
    const from = this.state.kind;
    this.state = to;
    if (from !== to.kind) this.emit({ kind: 'state', from, to: to.kind });
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
