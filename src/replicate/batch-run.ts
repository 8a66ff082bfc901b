import type { Batch, Change } from '../core/change.js';
import type { Clock } from '../core/clock.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { ReplicaTunables } from '../core/tunables.js';
import { compareBytes, type RelPath } from '../core/path.js';
import { defaults } from '../config/defaults.js';
import { copySmallFiles } from './local-copy.js';
import { fileList, rsyncArgs, type ArgsInput } from './rsync-args.js';
import { classifyExit, type ExitClass } from './rsync-exit.js';
import type { RsyncResult, RunRsync } from './rsync-run.js';
import { sourceRaces } from './rsync-stderr.js';
import type { Renamer } from './transport.js';
import type { BatchReport, Pass, RsyncPass, RsyncStats } from './types.js';

/** Everything one batch's passes need; the Replica builds it per batch. */
export interface PassContext {
  spec: ReplicaSpec;
  tunables: ReplicaTunables;
  root: string;
  excludes: readonly string[];
  run: RunRsync;
  renamer: Renamer | undefined;
  clock: Clock;
  emit: (r: BatchReport) => void;
  /** Aborted by Replica.stop(): the running rsync is killed and no further pass starts. */
  signal: AbortSignal;
  /** An operator released the safety valve for this run (Replica.release()). */
  massDeleteAllowed: boolean;
  /** ssh replicas: the control socket of the replica's ssh master now, if one is up
   *  (ssh/master.ts); asked before each pass, so a pass after the master died connects directly. */
  controlPath?: () => string | undefined;
}

/** The rsync-args input fields that come from a pass context. */
export function argsBase(ctx: PassContext): Pick<ArgsInput, 'spec' | 'tunables' | 'root' | 'excludes' | 'controlPath'> {
  const controlPath = ctx.controlPath?.();
  return { spec: ctx.spec, tunables: ctx.tunables, root: ctx.root, excludes: ctx.excludes, ...(controlPath !== undefined ? { controlPath } : {}) };
}

/**
 * What runs a replica's work: the plain rsync passes below, or a mesh peer's (mesh/push.ts).
 * Contract: never rejects unless a collaborator throws; a failure is an Outcome. `batch` gets
 * the queued changes and their plan; `full` the whole tree.
 */
export interface BatchRunner {
  batch(ctx: PassContext, changes: readonly Change[], batch: Batch): Promise<Outcome>;
  full(ctx: PassContext, reason: string): Promise<Outcome>;
}

/** The plain replica: rsync straight into the replica's tree. */
export const rsyncPasses: BatchRunner = {
  batch: (ctx, changes, batch) => runBatchPasses(ctx, batch, changes.filter((c) => !c.deleted && c.from !== undefined).length),
  full: (ctx, reason) => runFullSync(ctx, reason),
};

export type Failure = { ok: false; pass: Pass | 'spawn'; result?: RsyncResult; cls: ExitClass };
export type Outcome =
  | {
      ok: true;
      stats: RsyncStats;
      exitCode: number;
      renamed: number;
      /** Paths that changed on the source while rsync ran (rsync-stderr.ts): not sent as they
       *  are now, so the replica queues them again at once. */
      changedUnder: RelPath[];
      /** rsync skipped --delete inside the listed trees (an I/O error on the sender). */
      deletionsSkipped: boolean;
    }
  | Failure;

/**
 * Runs one incremental batch: renames (when the replica has a transport for them), then one
 * recursive pass over the trees, the written files and the deleted paths together; a non-recursive
 * pass for directories whose own attributes changed; and, only when --fuzzy is needed (renames
 * not replayed), the deletes in a pass after the writes so the old copy can serve as basis.
 * Empty passes are skipped; the first failing pass ends the batch. A failed rename is never a
 * failure (rsync covers it). `hinted` counts the batch's changes that carry a rename hint: when
 * fewer were renamed, the main pass runs with --fuzzy. Never rejects unless a collaborator throws.
 */
export async function runBatchPasses(ctx: PassContext, batch: Batch, hinted: number): Promise<Outcome> {
  let renamed = 0;
  if (ctx.renamer && batch.moves.length > 0) {
    let failed = 0;
    let firstFailure: { from: RelPath; to: RelPath; error: string } | undefined;
    for (const m of batch.moves) {
      if (ctx.signal.aborted) break;
      const r = await ctx.renamer.rename(m);
      if (r.ok) renamed++;
      else {
        failed++;
        firstFailure ??= { from: m.from, to: m.to, error: r.error };
      }
    }
    ctx.emit({ kind: 'rename', renamed, failed, ...(firstFailure ? { firstFailure } : {}) });
  }
  // Renamed files whose rename was not replayed (no transport, failed, or left out by plan as
  // unsafe) are sent by rsync: --fuzzy lets it diff them against their old copy. Only then,
  // since --fuzzy scans the destination directory of every new file.
  const fuzzy = renamed < hinted;
  const stats = zeroStats();
  let exitCode = 0;
  // One rsync does most batches: with -r --delete, a listed directory is synced with its whole
  // subtree, a listed file is just that file (its implied parents are not cleaned), and a listed
  // path that is gone is deleted (--delete-missing-args). Directories whose own attributes
  // changed must not recurse, so they get a pass of their own; and when --fuzzy is to find a
  // renamed file's old copy, the deletes wait for a pass after the writes (verified by hand
  // against rsync 3.2 and 3.4).
  const deletesLater = fuzzy && batch.deletes.length > 0;
  // Small files to a local replica are copied in-process first (local-copy.ts); rsync takes the rest.
  let writes = batch.writes;
  const maxBytes = ctx.tunables.localCopyMaxBytes ?? 0;
  if (ctx.spec.target.kind === 'local' && maxBytes > 0 && ctx.spec.rsyncOptions.length === 0 && writes.length > 0) {
    const local = await copySmallFiles(writes, { sourceRoot: ctx.root, replicaRoot: ctx.spec.target.path, maxBytes, signal: ctx.signal });
    writes = local.rest;
    addStats(stats, local.stats);
  }
  const main = mergeSorted(mergeSorted(batch.trees, writes), deletesLater ? [] : batch.deletes);
  const steps: [RsyncPass, RelPath[]][] = [
    ['tree', main],
    ['files', batch.dirs],
    ['deletes', deletesLater ? batch.deletes : []],
  ];
  const changedUnder: RelPath[] = [];
  let deletionsSkipped = false;
  for (const [pass, paths] of steps) {
    if (paths.length === 0) continue;
    const out = await runPass(ctx, pass, paths, { fuzzy: pass === 'tree' && fuzzy });
    if (!out.ok) return out;
    addStats(stats, out.stats);
    exitCode = Math.max(exitCode, out.exitCode);
    changedUnder.push(...out.changedUnder);
    deletionsSkipped ||= out.deletionsSkipped;
  }
  return { ok: true, stats, exitCode, renamed, changedUnder, deletionsSkipped };
}

/** Runs one full sync of the whole tree, reporting its start and (throttled) progress. */
export async function runFullSync(ctx: PassContext, reason: string): Promise<Outcome> {
  ctx.emit({ kind: 'full-sync-start', reason });
  const t0 = ctx.clock.now();
  let lastProgress = t0;
  return runPass(ctx, 'full', undefined, {
    onProgress: (p) => {
      const now = ctx.clock.now();
      if (now - lastProgress < defaults.progressEveryMs) return;
      lastProgress = now;
      ctx.emit({ kind: 'full-sync-progress', bytes: p.bytes, percent: p.percent, elapsedMs: Math.round(now - t0) });
    },
  });
}

async function runPass(
  ctx: PassContext,
  pass: RsyncPass,
  paths: RelPath[] | undefined,
  opts: { fuzzy?: boolean; onProgress?: (p: { bytes: number; percent: number }) => void },
): Promise<Outcome> {
  const args = rsyncArgs(pass, {
    ...argsBase(ctx),
    fuzzy: opts.fuzzy ?? false,
    progress: opts.onProgress !== undefined,
  });
  return runRsyncPass(ctx, pass, args, {
    ...(paths ? { stdin: fileList(paths) } : {}),
    // A full sync of a big tree legitimately takes long; --timeout catches a stalled one.
    long: pass === 'full',
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
}

/**
 * Runs one rsync of a replica and classifies how it ended (rsync-exit.ts), telling the source
 * changing under rsync (rsync-stderr.ts) from a failure of the replica. `long`: no batchTimeout
 * (a full sync of a big tree takes long; rsync's --timeout still catches a stalled one).
 */
export async function runRsyncPass(
  ctx: PassContext,
  pass: Pass,
  args: string[],
  opts: { stdin?: Buffer; long?: boolean; onProgress?: (p: { bytes: number; percent: number }) => void },
): Promise<Outcome> {
  if (ctx.signal.aborted) return { ok: false, pass, cls: { verdict: 'retry', reason: 'stopped before the pass started' } };
  const { tunables } = ctx;
  const result = await ctx.run({
    program: ctx.spec.rsyncPath,
    args,
    ...(opts.stdin ? { stdin: opts.stdin } : {}),
    timeoutMs: opts.long ? 0 : tunables.batchTimeoutMs,
    killGraceMs: tunables.killGraceMs,
    signal: ctx.signal,
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  if (result.spawnError !== undefined) return { ok: false, pass: 'spawn', result, cls: { verdict: 'fatal', reason: result.spawnError } };
  if (result.aborted) return { ok: false, pass, result, cls: { verdict: 'retry', reason: 'killed by stop()' } };
  if (result.timedOut) return { ok: false, pass, result, cls: { verdict: 'retry', reason: `killed after running longer than batchTimeout (${tunables.batchTimeoutMs} ms)` } };
  const ok = { ok: true as const, stats: result.stats, exitCode: result.exitCode ?? 0, renamed: 0, changedUnder: [] as RelPath[], deletionsSkipped: false };
  // 23 (partial transfer) and 24 (vanished) whose every complaint is the source changing under
  // rsync: the replica is fine; the paths go back to the queue (the events of their change follow).
  const races = (result.exitCode === 23 || result.exitCode === 24) && result.complaints ? sourceRaces(result.complaints, ctx.root) : undefined;
  if (races) return { ...ok, changedUnder: races, deletionsSkipped: result.complaints?.deletionsSkipped ?? false };
  const cls = classifyExit(result.exitCode, result.signal, result.stderrTail);
  if (cls.verdict !== 'ok') return { ok: false, pass, result, cls };
  return ok;
}

function mergeSorted(a: readonly RelPath[], b: readonly RelPath[]): RelPath[] {
  return b.length === 0 ? [...a] : [...a, ...b].sort(compareBytes);
}

export function zeroStats(): RsyncStats {
  return { filesTransferred: 0, bytesSent: 0, bytesReceived: 0, transferredBytes: 0, deleted: 0 };
}

export function addStats(into: RsyncStats, s: RsyncStats): void {
  into.filesTransferred += s.filesTransferred;
  into.bytesSent += s.bytesSent;
  into.bytesReceived += s.bytesReceived;
  into.transferredBytes += s.transferredBytes;
  into.deleted += s.deleted;
}
