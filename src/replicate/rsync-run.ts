import { execa } from 'execa';
import { realClock, type Clock, type TimerHandle } from '../core/clock.js';
import { StderrTally, type StderrSummary } from './rsync-stderr.js';
import { parseProgress, parseStats } from './rsync-stats.js';
import type { RsyncStats } from './types.js';

export interface RsyncRequest {
  /** The rsync program (ReplicaSpec.rsyncPath). */
  program: string;
  /** Its arguments (rsync-args.ts); never passed through a shell. */
  args: readonly string[];
  /** stdin: the NUL-separated path list of a list pass (rsync-args `fileList`); none otherwise. */
  stdin?: Buffer;
  /** ms after which rsync is killed as hung; 0 or absent: no deadline (rsync --timeout still applies). */
  timeoutMs?: number;
  /** ms between SIGTERM and SIGKILL when rsync is killed (timeout or abort). */
  killGraceMs: number;
  /** Aborting kills rsync the same way (shutdown). */
  signal?: AbortSignal;
  /** Each --info=progress2 update, as rsync prints it. */
  onProgress?: (p: { bytes: number; percent: number }) => void;
}

export interface RsyncResult {
  /** rsync's exit code; undefined when it was killed by a signal or never started. */
  exitCode?: number;
  signal?: string;
  stats: RsyncStats;
  /** The end of rsync's stderr (its error messages), for logs and lastError. */
  stderrTail: string;
  /** Every stderr line, tallied (rsync-stderr.ts): were the complaints all source races? */
  complaints?: StderrSummary;
  durationMs: number;
  /** Killed for running past `timeoutMs`. */
  timedOut: boolean;
  /** Killed because `signal` was aborted. */
  aborted: boolean;
  /** rsync could not be started at all (e.g. not installed): the reason. */
  spawnError?: string;
}

/** How a Replica runs rsync; replaced by a fake in unit tests. Never rejects. */
export type RunRsync = (req: RsyncRequest) => Promise<RsyncResult>;

/** The real RunRsync on `clock` (its deadlines and durations). */
export function rsyncRunner(clock: Clock = realClock): RunRsync {
  return (req) => runRsync(req, clock);
}

const STDOUT_KEEP = 64 * 1024;
const STDERR_KEEP = 4 * 1024;

/**
 * Runs one rsync. Contract: resolves (never rejects) once rsync has exited and its pipes are
 * drained; a deadline or an abort sends SIGTERM, then SIGKILL after `killGraceMs`. rsync runs in
 * its own process group and signals go to the whole group, so its ssh (or local receiver) child
 * dies with it and cannot hold the pipes open. A consequence: a terminal's Ctrl-C reaches only
 * the daemon, which stops its rsyncs itself (Replica.stop); if the daemon dies outright, a
 * running rsync finishes on its own or gives up after --timeout. Only the tails of stdout (for
 * --stats) and stderr are kept, so a verbose rsync cannot grow memory.
 */
export async function runRsync(req: RsyncRequest, clock: Clock = realClock): Promise<RsyncResult> {
  const t0 = clock.now();
  const sub = execa(req.program, req.args, {
    reject: false,
    buffer: false,
    detached: true,
    stdin: req.stdin === undefined ? 'ignore' : 'pipe',
    stdout: 'pipe',
    stderr: 'pipe',
  });

  let timedOut = false;
  let aborted = false;
  let forceTimer: TimerHandle | undefined;
  const signalGroup = (sig: NodeJS.Signals) => {
    if (sub.pid === undefined) return;
    try {
      process.kill(-sub.pid, sig);
    } catch {
      // The group is gone already.
    }
  };
  const kill = () => {
    if (forceTimer !== undefined) return;
    signalGroup('SIGTERM');
    forceTimer = clock.setTimeout(() => signalGroup('SIGKILL'), req.killGraceMs);
  };
  const deadline = req.timeoutMs
    ? clock.setTimeout(() => {
        timedOut = true;
        kill();
      }, req.timeoutMs)
    : undefined;
  const onAbort = () => {
    aborted = true;
    kill();
  };
  if (req.signal?.aborted) onAbort();
  else req.signal?.addEventListener('abort', onAbort, { once: true });

  let out = '';
  let pending = '';
  sub.stdout?.setEncoding('utf8');
  sub.stdout?.on('data', (chunk: string) => {
    out = (out + chunk).slice(-STDOUT_KEEP);
    if (!req.onProgress) return;
    const parts = (pending + chunk).split(/[\r\n]/);
    pending = parts.pop() ?? '';
    for (const line of parts) {
      const p = parseProgress(line);
      if (p) req.onProgress(p);
    }
  });
  // latin1: one char per byte, so names in complaints keep their bytes; the tail shown to people
  // is decoded as UTF-8 at the end.
  let err = '';
  const tally = new StderrTally();
  sub.stderr?.setEncoding('latin1');
  sub.stderr?.on('data', (chunk: string) => {
    err = (err + chunk).slice(-STDERR_KEEP);
    tally.push(chunk);
  });
  if (req.stdin !== undefined && sub.stdin) {
    // rsync may exit before reading its list (bad option, refused connection): ignore EPIPE.
    sub.stdin.on('error', () => {});
    sub.stdin.end(req.stdin);
  }

  const r = await sub;
  clock.clearTimeout(deadline);
  clock.clearTimeout(forceTimer);
  req.signal?.removeEventListener('abort', onAbort);
  const durationMs = Math.round(clock.now() - t0);
  const spawnError = r.exitCode === undefined && r.signal === undefined ? (r.originalMessage ?? r.shortMessage ?? 'rsync did not start') : undefined;
  const result: RsyncResult = {
    stats: parseStats(out),
    stderrTail: tail(Buffer.from(err, 'latin1').toString('utf8')),
    complaints: tally.end(),
    durationMs,
    timedOut,
    aborted,
  };
  if (r.exitCode !== undefined) result.exitCode = r.exitCode;
  if (r.signal !== undefined) result.signal = r.signal;
  if (spawnError !== undefined) result.spawnError = `cannot run ${req.program}: ${spawnError}`;
  return result;
}

/** The last few lines, trimmed: enough to say why rsync failed. */
function tail(text: string): string {
  return text.trim().split('\n').slice(-8).join('\n');
}
