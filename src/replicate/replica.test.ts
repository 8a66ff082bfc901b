import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Change, Move } from '../core/change.js';
import { FakeClock, settle } from '../../test/support/fake-clock.js';
import { Replica } from './replica.js';
import type { RsyncRequest, RsyncResult } from './rsync-run.js';
import type { StderrSummary } from './rsync-stderr.js';
import type { RenameOutcome, Renamer } from './transport.js';
import type { BatchReport } from './types.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { ReplicaTunables } from '../core/tunables.js';
import type { Target } from '../core/target.js';

// ---- fakes -------------------------------------------------------------------------------------

interface Call {
  req: RsyncRequest;
  kind: 'full' | 'tree' | 'list';
  paths: string[];
  resolve: (r: Partial<RsyncResult>) => void;
}

class FakeRsync {
  calls: Call[] = [];
  run = (req: RsyncRequest): Promise<RsyncResult> =>
    new Promise((resolve) => {
      const kind = !req.args.includes('--files-from=-') ? 'full' : req.args.includes('-r') ? 'tree' : 'list';
      // fileList writes './path' ('.' for the root); the tests speak in plain relative paths.
      const paths = req.stdin ? req.stdin.toString('latin1').split('\0').slice(0, -1).map((p) => (p === '.' ? '' : p.replace(/^\.\//, ''))) : [];
      this.calls.push({
        req,
        kind,
        paths,
        resolve: (r) => resolve({ stats: { filesTransferred: 1, bytesSent: 100, bytesReceived: 10, transferredBytes: 90, deleted: 0 }, stderrTail: '', durationMs: 5, timedOut: false, aborted: false, ...r }),
      });
    });
  get last(): Call {
    const c = this.calls[this.calls.length - 1];
    if (!c) throw new Error('no rsync call');
    return c;
  }
  /** Answers the latest call and lets the replica react. */
  async answer(r: Partial<RsyncResult> = { exitCode: 0 }): Promise<void> {
    this.last.resolve(r);
    await settle();
  }
}

class FakeRenamer implements Renamer {
  moves: Move[] = [];
  closed = false;
  constructor(private readonly outcome: RenameOutcome = { ok: true }) {}
  async rename(m: Move): Promise<RenameOutcome> {
    this.moves.push(m);
    return this.outcome;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const tunables: ReplicaTunables = {
  backoffInitialMs: 1000,
  backoffMaxMs: 30_000,
  resyncAfterMs: 60_000,
  queueCap: 100,
  batchTimeoutMs: 600_000,
  ioTimeoutS: 60,
  connectTimeoutS: 10,
  killGraceMs: 3000,
};

function setup(opts: { target?: Target; tunables?: Partial<ReplicaTunables>; renamer?: Renamer | null } = {}) {
  const time = new FakeClock(1_000_000);
  const rsync = new FakeRsync();
  const reports: BatchReport[] = [];
  const spec: ReplicaSpec = {
    name: 'r1',
    target: opts.target ?? { kind: 'local', path: '/replica' },
    targetText: '/replica',
    rsyncOptions: [],
    renames: true,
    rsyncPath: 'rsync',
  };
  const replica = new Replica(spec, { ...tunables, ...opts.tunables }, {
    root: '/src',
    excludes: ['*.tmp'],
    log: pino({ level: 'silent' }),
    clock: time,
    runRsync: rsync.run,
    renamer: opts.renamer === undefined ? null : opts.renamer,
    rand: () => 0.5,
    onReport: (r) => reports.push(r),
  });
  const kinds = (k: BatchReport['kind']) => reports.filter((r) => r.kind === k);
  return { time, rsync, replica, reports, kinds };
}

function write(path: string, t: number, extra: Partial<Change> = {}): Change {
  return { path, recursive: false, isDir: false, deleted: false, first: t, last: t, open: false, ...extra };
}

function del(path: string, t: number, isDir = false): Change {
  return { path, recursive: false, isDir, deleted: true, first: t, last: t, open: false };
}

// ---- tests -------------------------------------------------------------------------------------

describe('Replica', () => {
  it('idle → syncing → idle: a change goes out at once, as one rsync', async () => {
    const { time, rsync, replica, kinds } = setup();
    replica.start({ initialSync: false });
    expect(replica.status().state).toBe('idle');
    replica.enqueue([write('a', time.now() - 40)]);
    expect(rsync.calls).toHaveLength(1);
    expect(rsync.last.kind).toBe('tree');
    expect(rsync.last.paths).toEqual(['a']);
    expect(replica.status()).toMatchObject({ state: 'syncing', queued: 0, inFlight: 1, lagMs: 40 });
    let idle = false;
    void replica.whenIdle().then(() => (idle = true));
    time.advance(10);
    await rsync.answer();
    expect(idle).toBe(true);
    expect(replica.status()).toMatchObject({ state: 'idle', queued: 0, inFlight: 0, lagMs: 0, batches: 1, lastSuccess: time.now(), attempts: 0 });
    expect(kinds('batch')).toEqual([
      expect.objectContaining({ paths: 1, writes: 1, deletes: 0, trees: 0, exitCode: 0, lagMs: 50, stats: expect.objectContaining({ bytesSent: 100 }) }),
    ]);
    expect(kinds('state').map((r) => (r.kind === 'state' ? r.to : ''))).toEqual(['syncing', 'idle']);
  });

  it('changes arriving while syncing go out as exactly one follow-up batch', async () => {
    const { time, rsync, replica, kinds } = setup();
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now())]);
    replica.enqueue([write('b', time.now() + 1)]);
    replica.enqueue([write('c', time.now() + 2), del('d', time.now() + 2)]);
    replica.enqueue([write('b', time.now() + 3)]);
    expect(rsync.calls).toHaveLength(1);
    expect(replica.status()).toMatchObject({ queued: 3, inFlight: 1 });
    await rsync.answer();
    expect(rsync.calls).toHaveLength(2);
    expect(rsync.last.paths).toEqual(['b', 'c', 'd']);
    await rsync.answer();
    expect(rsync.calls).toHaveLength(2);
    expect(replica.status()).toMatchObject({ state: 'idle', batches: 2 });
    expect(kinds('batch')).toHaveLength(2);
  });

  it('trees, writes and deletes go in one recursive rsync; directory attributes in a non-recursive one', async () => {
    const { time, rsync, replica } = setup();
    replica.start({ initialSync: false });
    replica.enqueue([
      write('dir', time.now(), { isDir: true, recursive: true }),
      write('z', time.now()),
      del('gone', time.now()),
      del('a-gone-dir', time.now(), true),
      write('attr', time.now(), { isDir: true }),
    ]);
    expect(rsync.last.kind).toBe('tree');
    expect(rsync.last.paths).toEqual(['a-gone-dir', 'dir', 'gone', 'z']);
    expect(rsync.last.req.args).toContain('--exclude=*.tmp');
    expect(rsync.last.req.args).not.toContain('--fuzzy');
    await rsync.answer();
    expect(rsync.last.kind).toBe('list');
    expect(rsync.last.paths).toEqual(['attr']);
    await rsync.answer();
    expect(rsync.calls).toHaveLength(2);
    expect(replica.status().state).toBe('idle');
  });

  it('a daemon target (no renames): main pass with --fuzzy, then the deletes in a pass after it', async () => {
    const { time, rsync, replica } = setup({ target: { kind: 'daemon', host: 'h', module: 'm', path: '' } });
    replica.start({ initialSync: false });
    replica.enqueue([del('old', time.now()), write('new', time.now() + 1, { from: 'old' })]);
    expect(rsync.last.paths).toEqual(['new']);
    expect(rsync.last.req.args).toContain('--fuzzy');
    await rsync.answer();
    expect(rsync.last.paths).toEqual(['old']);
    expect(rsync.last.req.args).not.toContain('--fuzzy');
    await rsync.answer();
    expect(rsync.calls).toHaveLength(2);
  });

  it('renames first through the transport; a failed rename turns on --fuzzy and is no error', async () => {
    const ok = setup({ renamer: new FakeRenamer() });
    ok.replica.start({ initialSync: false });
    ok.replica.enqueue([del('a', 1), write('b', 2, { from: 'a' })]);
    await settle();
    expect(ok.rsync.last.paths).toEqual(['a', 'b']);
    expect(ok.rsync.last.req.args).not.toContain('--fuzzy');
    await ok.rsync.answer();
    expect(ok.kinds('rename')).toEqual([{ kind: 'rename', renamed: 1, failed: 0 }]);
    expect(ok.kinds('batch')).toEqual([expect.objectContaining({ moves: 1, renamed: 1 })]);

    const renamer = new FakeRenamer({ ok: false, error: 'EXDEV' });
    const bad = setup({ renamer });
    bad.replica.start({ initialSync: false });
    bad.replica.enqueue([del('a', 1), write('b', 2, { from: 'a' })]);
    await settle();
    expect(renamer.moves).toEqual([{ from: 'a', to: 'b', isDir: false }]);
    expect(bad.rsync.last.paths).toEqual(['b']);
    expect(bad.rsync.last.req.args).toContain('--fuzzy');
    await bad.rsync.answer();
    // With --fuzzy the old copy must still exist while b is sent: the delete comes after.
    expect(bad.rsync.last.paths).toEqual(['a']);
    await bad.rsync.answer();
    expect(bad.replica.status()).toMatchObject({ state: 'idle', batches: 1 });
    expect(bad.kinds('rename')).toEqual([{ kind: 'rename', renamed: 0, failed: 1, firstFailure: { from: 'a', to: 'b', error: 'EXDEV' } }]);
    expect(bad.kinds('error')).toHaveLength(0);
  });

  it('retry: the failed batch goes back to the queue, waits its backoff, then runs with the newer changes as one batch', async () => {
    const { time, rsync, replica, kinds } = setup();
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now())]);
    await rsync.answer({ exitCode: 12, stderrTail: 'rsync: connection unexpectedly closed' });
    expect(replica.status()).toMatchObject({
      state: 'backoff',
      queued: 1,
      inFlight: 0,
      attempts: 1,
      lastError: { time: time.now(), exitCode: 12, message: 'error in the rsync protocol data stream (connection lost?): rsync: connection unexpectedly closed' },
    });
    expect(kinds('error')).toEqual([expect.objectContaining({ pass: 'tree', verdict: 'retry', exitCode: 12, attempt: 1, retryInMs: 1000 })]);
    replica.enqueue([write('b', time.now())]);
    expect(rsync.calls).toHaveLength(1);
    await time.advanceAsync(999);
    expect(rsync.calls).toHaveLength(1);
    await time.advanceAsync(1);
    expect(rsync.calls).toHaveLength(2);
    expect(rsync.last.paths).toEqual(['a', 'b']);
    expect(replica.status().state).toBe('syncing');
    // Second failure: the delay doubles.
    await rsync.answer({ exitCode: 10 });
    expect(kinds('error')[1]).toMatchObject({ attempt: 2, retryInMs: 2000 });
    await time.advanceAsync(2000);
    await rsync.answer();
    expect(replica.status()).toMatchObject({ state: 'idle', attempts: 0, queued: 0, batches: 1 });
    expect(replica.status().lastError?.exitCode).toBe(10);
  });

  it('a failed batch is merged back in event order (a newer delete wins over the failed write)', async () => {
    const { time, rsync, replica } = setup({ target: { kind: 'daemon', host: 'h', module: 'm', path: '' } });
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now(), { isDir: true, recursive: true })]);
    replica.enqueue([del('a', time.now() + 5, true)]);
    await rsync.answer({ exitCode: 23 });
    await time.advanceAsync(1000);
    // One delete (--delete-missing-args), not a tree sync of a directory that is gone.
    expect(rsync.calls).toHaveLength(2);
    expect(rsync.last.paths).toEqual(['a']);
    expect(rsync.last.req.args).not.toContain('--fuzzy');
  });

  it('fatal → halted; changes keep queueing; requestFullSync revives it with a full sync', async () => {
    const { time, rsync, replica, kinds } = setup({ target: { kind: 'daemon', host: 'h', module: 'm', path: '' } });
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now())]);
    await rsync.answer({ exitCode: 5, stderrTail: '@ERROR: auth failed on module m\nrsync error: error starting client-server protocol (code 5)' });
    expect(replica.status()).toMatchObject({ state: 'halted', attempts: 1, queued: 1 });
    expect(replica.status().lastError?.message).toContain('auth failed on module m');
    expect(kinds('error')).toEqual([expect.objectContaining({ verdict: 'fatal', exitCode: 5 })]);
    expect(time.armed).toBe(0);
    await replica.whenIdle();
    replica.enqueue([write('b', time.now())]);
    await time.advanceAsync(60_000);
    expect(rsync.calls).toHaveLength(1);
    expect(replica.status().queued).toBe(2);
    replica.requestFullSync('password fixed');
    expect(rsync.calls).toHaveLength(2);
    expect(rsync.last.kind).toBe('full');
    expect(replica.status().state).toBe('resync');
    await rsync.answer();
    expect(replica.status()).toMatchObject({ state: 'idle', fullSyncs: 1, attempts: 0, queued: 0 });
    expect(kinds('full-sync')).toEqual([expect.objectContaining({ reason: 'password fixed' })]);
  });

  it('whenIdle() pending when a run halts the replica resolves then', async () => {
    const { time, rsync, replica } = setup();
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now())]);
    let idle = false;
    void replica.whenIdle().then(() => (idle = true));
    await rsync.answer({ exitCode: 5 });
    expect(replica.status().state).toBe('halted');
    expect(idle).toBe(true);
  });

  it('an outage longer than resyncAfter turns the next attempt into one full resync', async () => {
    const { time, rsync, replica, kinds } = setup({ tunables: { resyncAfterMs: 5000, backoffMaxMs: 2000 } });
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now()), write('b', time.now())]);
    await rsync.answer({ exitCode: 255, stderrTail: 'ssh: connect to host h port 22: Connection refused' });
    const failing = async () => {
      await time.advanceAsync(2000);
      expect(rsync.last.kind).toBe('tree');
      await rsync.answer({ exitCode: 255 });
    };
    await failing(); // t+2000 (1000 backoff, then 2000 capped)
    await failing(); // t+4000
    await time.advanceAsync(2000); // t+6000: outage > 5000 ms
    expect(rsync.last.kind).toBe('full');
    expect(replica.status().state).toBe('resync');
    expect(kinds('collapse')).toEqual([expect.objectContaining({ reason: 'outage', queued: 2 })]);
    await rsync.answer();
    expect(replica.status()).toMatchObject({ state: 'idle', fullSyncs: 1, batches: 0, queued: 0 });
    expect(kinds('full-sync')).toEqual([expect.objectContaining({ reason: 'after an outage' })]);
  });

  it('a queue past queueCap collapses into one full resync', async () => {
    const { time, rsync, replica, kinds } = setup({ tunables: { queueCap: 3 } });
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now())]);
    replica.enqueue([write('b', time.now()), write('c', time.now()), write('d', time.now())]);
    expect(replica.status().queued).toBe(3);
    replica.enqueue([write('e', time.now())]);
    expect(replica.status().queued).toBe(1);
    expect(kinds('collapse')).toEqual([expect.objectContaining({ reason: 'queue-cap', queued: 4 })]);
    await rsync.answer();
    expect(rsync.last.kind).toBe('full');
    expect(rsync.last.req.args).toContain('--delete');
    expect(rsync.last.req.timeoutMs).toBe(0);
    await rsync.answer();
    expect(replica.status()).toMatchObject({ state: 'idle', fullSyncs: 1, batches: 1 });
  });

  it('initial sync: one full sync first (state resync); changes meanwhile go out after it', async () => {
    const { time, rsync, replica, kinds } = setup();
    let settled = false;
    void replica.initialSyncSettled().then(() => (settled = true));
    replica.start({ initialSync: true });
    expect(rsync.last.kind).toBe('full');
    expect(rsync.last.req.onProgress).toBeTypeOf('function');
    expect(replica.status().state).toBe('resync');
    replica.enqueue([write('x', time.now())]);
    time.advance(10_001);
    rsync.last.req.onProgress?.({ bytes: 500, percent: 50 });
    rsync.last.req.onProgress?.({ bytes: 600, percent: 60 }); // throttled
    expect(kinds('full-sync-progress')).toEqual([{ kind: 'full-sync-progress', bytes: 500, percent: 50, elapsedMs: 10_001 }]);
    await settle();
    expect(settled).toBe(false);
    await rsync.answer();
    expect(settled).toBe(true);
    expect(rsync.last.kind).toBe('tree');
    expect(rsync.last.paths).toEqual(['x']);
    await rsync.answer();
    expect(replica.status()).toMatchObject({ state: 'idle', fullSyncs: 1, batches: 1 });
    expect(kinds('full-sync-start')).toEqual([{ kind: 'full-sync-start', reason: 'initial sync' }]);
  });

  it('a failed initial sync settles initialSyncSettled too (the daemon becomes ready while retrying)', async () => {
    const { rsync, replica } = setup();
    replica.start({ initialSync: true });
    let settled = false;
    void replica.initialSyncSettled().then(() => (settled = true));
    await rsync.answer({ exitCode: 10 });
    expect(settled).toBe(true);
    expect(replica.status().state).toBe('backoff');
  });

  it('stop() lets an in-flight batch finish within the grace time', async () => {
    const renamer = new FakeRenamer();
    const { time, rsync, replica, kinds } = setup({ renamer });
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now())]);
    await settle();
    let stopped = false;
    const p = replica.stop(5000).then(() => (stopped = true));
    replica.enqueue([write('late', time.now())]);
    await time.advanceAsync(1000);
    expect(stopped).toBe(false);
    await rsync.answer();
    await p;
    expect(rsync.calls).toHaveLength(1);
    expect(renamer.closed).toBe(true);
    expect(replica.status()).toMatchObject({ state: 'halted', queued: 1, batches: 1 });
    expect(kinds('stopped')).toEqual([{ kind: 'stopped', unsent: 1, killed: false }]);
  });

  it('stop() kills an rsync that outlives the grace time; its changes stay unacknowledged', async () => {
    const { time, rsync, replica, kinds } = setup();
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now() - 100), write('b', time.now())]);
    const signal = rsync.last.req.signal;
    expect(rsync.last.req.killGraceMs).toBe(3000);
    const p = replica.stop(2000);
    await time.advanceAsync(1999);
    expect(signal?.aborted).toBe(false);
    await time.advanceAsync(1);
    expect(signal?.aborted).toBe(true);
    await rsync.answer({ signal: 'SIGTERM', aborted: true });
    await p;
    expect(rsync.calls).toHaveLength(1);
    expect(replica.status()).toMatchObject({ state: 'halted', queued: 2, inFlight: 0, batches: 0, lagMs: 2100 });
    expect(replica.status().lastError?.message).toBe('stopped with 2 changes not sent');
    expect(kinds('stopped')).toEqual([{ kind: 'stopped', unsent: 2, killed: true }]);
    expect(kinds('error')).toHaveLength(0);
    await replica.whenIdle();
  });

  it('stop() during backoff cancels the retry', async () => {
    const { time, rsync, replica } = setup();
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now())]);
    await rsync.answer({ exitCode: 30 });
    expect(time.armed).toBe(1);
    await replica.stop(1000);
    expect(time.armed).toBe(0);
    await time.advanceAsync(60_000);
    expect(rsync.calls).toHaveLength(1);
    expect(replica.status()).toMatchObject({ state: 'halted', queued: 1 });
  });

  it('a batch that outlives batchTimeout is retried; rsync that cannot start halts', async () => {
    const { time, rsync, replica, kinds } = setup();
    replica.start({ initialSync: false });
    replica.enqueue([write('a', time.now())]);
    expect(rsync.last.req.timeoutMs).toBe(600_000);
    await rsync.answer({ signal: 'SIGTERM', timedOut: true });
    expect(replica.status().state).toBe('backoff');
    expect(kinds('error')[0]).toMatchObject({ verdict: 'retry', reason: 'killed after running longer than batchTimeout (600000 ms)' });
    await time.advanceAsync(1000);
    await rsync.answer({ spawnError: 'cannot run rsync: spawn rsync ENOENT' });
    expect(replica.status()).toMatchObject({ state: 'halted', lastError: { message: 'cannot run rsync: spawn rsync ENOENT' } });
  });

  it('copies the changes it is given (each replica folds its own)', async () => {
    const one = setup();
    const two = setup();
    one.replica.start({ initialSync: false });
    two.replica.start({ initialSync: false });
    const dir = write('d', 1, { isDir: true, recursive: true });
    one.replica.enqueue([write('x', 1)]);
    two.replica.enqueue([write('x', 1)]);
    one.replica.enqueue([dir]);
    two.replica.enqueue([dir]);
    one.replica.enqueue([write('d/f', 50)]);
    expect(dir.last).toBe(1);
  });

  it('a slow replica does not hold up another: each drains on its own', async () => {
    const slow = setup();
    const fast = setup();
    slow.replica.start({ initialSync: false });
    fast.replica.start({ initialSync: false });
    for (const r of [slow, fast]) r.replica.enqueue([write('a', 1)]);
    await fast.rsync.answer();
    for (const r of [slow, fast]) r.replica.enqueue([write('b', 2)]);
    await fast.rsync.answer();
    await fast.replica.whenIdle();
    expect(fast.replica.status()).toMatchObject({ state: 'idle', batches: 2 });
    expect(slow.replica.status()).toMatchObject({ state: 'syncing', queued: 1, batches: 0 });
  });

  it('does nothing before start(); whenIdle resolves at once when nothing is queued', async () => {
    const { rsync, replica } = setup();
    await replica.whenIdle();
    replica.enqueue([write('a', 1)]);
    expect(rsync.calls).toHaveLength(0);
    replica.start({ initialSync: false });
    expect(rsync.calls).toHaveLength(1);
  });

  describe('the source changing under rsync', () => {
    const races = (paths: string[], extra: Partial<StderrSummary> = {}): Partial<RsyncResult> => ({
      exitCode: 23,
      stderrTail: 'rsync error: some files/attrs were not transferred (see previous errors) (code 23)',
      complaints: { racePaths: paths.map((p) => `/src/${p}`), racesTruncated: false, deletionsSkipped: false, other: 0, ...extra },
    });

    it('is no failure: the batch counts, the named paths go out again at once, no backoff', async () => {
      const { time, rsync, replica, kinds } = setup();
      replica.start({ initialSync: false });
      replica.enqueue([write('a', time.now()), write('b', time.now()), del('gone', time.now())]);
      await rsync.answer(races(['b']));
      expect(kinds('error')).toHaveLength(0);
      expect(kinds('batch')).toEqual([expect.objectContaining({ paths: 3, exitCode: 23 })]);
      expect(kinds('source-changed')).toEqual([{ kind: 'source-changed', paths: 1, first: 'b', deletionsSkipped: false, inARow: 1 }]);
      expect(rsync.calls).toHaveLength(2);
      expect(rsync.last.paths).toEqual(['b']);
      expect(replica.status()).toMatchObject({ state: 'syncing', attempts: 0, batches: 1 });
      expect(time.armed).toBe(0);
      await rsync.answer();
      expect(replica.status()).toMatchObject({ state: 'idle', queued: 0, batches: 2 });
      expect(replica.status().lastError).toBeUndefined();
    });

    it('when rsync skipped deletions, the batch\'s trees and deletes go again too', async () => {
      const { time, rsync, replica } = setup();
      replica.start({ initialSync: false });
      replica.enqueue([write('t', time.now(), { isDir: true, recursive: true }), write('f', time.now()), del('x', time.now())]);
      await rsync.answer(races(['t/in'], { deletionsSkipped: true }));
      expect(rsync.last.paths).toEqual(['t', 'x']);
    });

    it('a writer that never lets go: past sourceRaceRetries in a row it backs off like a failure', async () => {
      const { time, rsync, replica, kinds } = setup();
      replica.start({ initialSync: false });
      replica.enqueue([write('hot', time.now())]);
      for (let i = 0; i < 5; i++) await rsync.answer(races(['hot']));
      expect(kinds('error')).toHaveLength(0);
      expect(rsync.calls).toHaveLength(6);
      await rsync.answer(races(['hot']));
      expect(replica.status()).toMatchObject({ state: 'backoff', attempts: 1, queued: 1 });
      expect(kinds('error')).toEqual([expect.objectContaining({ verdict: 'retry', reason: 'the same paths kept changing under rsync 6 times in a row' })]);
    });

    it('races at new paths each time are progress, never a backoff', async () => {
      const { time, rsync, replica, kinds } = setup();
      replica.start({ initialSync: false });
      replica.enqueue([write('p0', time.now())]);
      for (let i = 0; i < 12; i++) await rsync.answer(races([`p${i + 1}`]));
      expect(kinds('error')).toHaveLength(0);
      expect(rsync.last.paths).toEqual(['p12']);
    });

    it('a complaint that is not a race keeps the backoff', async () => {
      const { time, rsync, replica, kinds } = setup();
      replica.start({ initialSync: false });
      replica.enqueue([write('a', time.now())]);
      await rsync.answer({ ...races(['a'], { other: 1 }) });
      expect(replica.status()).toMatchObject({ state: 'backoff', attempts: 1, queued: 1 });
      expect(kinds('source-changed')).toHaveLength(0);
      expect(replica.status().nextAttempt).toBe(time.now() + 1000);
    });
  });
});
