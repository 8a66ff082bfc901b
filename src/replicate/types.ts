import type { RelPath } from '../pipeline/event.js';
import type { Target } from './target.js';

export type { Target } from './target.js';

/** One replica as configured (config/load.ts builds it; the Replica never changes it). */
export interface ReplicaSpec {
  /** Unique among the replicas; names its logs and status line. */
  name: string;
  target: Target;
  /** The target as the user wrote it (for messages). */
  targetText: string;
  /** rsync daemon password file (daemon targets only; must not be readable by others). */
  passwordFile?: string;
  /** ssh private key (ssh targets); without it the ssh agent (SSH_AUTH_SOCK) is used. */
  identityFile?: string;
  /** known_hosts to verify the ssh host key against; default ~/.ssh/known_hosts. Never skipped. */
  knownHostsFile?: string;
  /** ssh port when the target text carries none (`host:/path` cannot). */
  sshPort?: number;
  /** Extra rsync options (global then per replica), placed after `-a` and before livemirror's own. */
  rsyncOptions: string[];
  /** Replay renames as renames (local rename / sftp) before the rsync passes. */
  renames: boolean;
  /** The rsync program run locally. */
  rsyncPath: string;
  /** The rsync program on an ssh replica (rsync --rsync-path); default: `rsync` in its PATH. */
  remoteRsyncPath?: string;
}

/** Timing and size limits of one replica (defaults and reasons: config/defaults.ts). */
export interface ReplicaTunables {
  /** ms before the first retry; doubles per attempt. */
  backoffInitialMs: number;
  /** ms cap of the retry delay. */
  backoffMaxMs: number;
  /** ms: an outage longer than this ends with one full resync instead of the queue replayed. */
  resyncAfterMs: number;
  /** Queued paths past this collapse into one full resync. */
  queueCap: number;
  /** ms a batch rsync (not a full sync) may run before it is killed as hung. */
  batchTimeoutMs: number;
  /** s of no I/O after which rsync gives up (rsync --timeout). */
  ioTimeoutS: number;
  /** s to wait for a connection (ssh ConnectTimeout, rsync --contimeout). */
  connectTimeoutS: number;
  /** ms between SIGTERM and SIGKILL when an rsync is killed. */
  killGraceMs: number;
}

/**
 * What a replica is doing:
 *  - `idle`    nothing queued and nothing in flight;
 *  - `syncing` an incremental batch (renames and rsync passes over named paths) is running;
 *              changes arriving meanwhile wait in the queue and go out as the next batch;
 *  - `backoff` the last attempt failed with a retryable error; the failed work is back in the
 *              queue and the next attempt starts when the backoff timer fires;
 *  - `resync`  a full sync of the whole tree is running (initial sync, after a long outage, a
 *              queue past its cap, or requested);
 *  - `halted`  nothing runs until revived: a fatal error (bad auth, unsupported option, missing
 *              rsync …; see `lastError`), or `stop()` left changes unsent. Changes still queue
 *              (collapsing to a full resync at the cap); `requestFullSync()` revives it.
 */
export type ReplicaState = 'idle' | 'syncing' | 'backoff' | 'resync' | 'halted';

export interface ReplicaStatus {
  name: string;
  /** The target text as configured. */
  target: string;
  state: ReplicaState;
  /** Paths waiting in the queue (not counting those in flight). */
  queued: number;
  /** ms since the oldest change not yet acknowledged by the replica (queued or in flight); 0 when none. */
  lagMs: number;
  /** Paths in the batch now running (0 when none). */
  inFlight: number;
  /** Clock time (ms) of the last successful batch or full sync. */
  lastSuccess?: number;
  lastError?: { time: number; message: string; exitCode?: number };
  /** Consecutive failed attempts (0 after a success). */
  attempts: number;
  /** Full syncs completed. */
  fullSyncs: number;
  /** Incremental batches completed. */
  batches: number;
}

/** What one rsync run transferred, from its --stats output (0 when it printed none). */
export interface RsyncStats {
  filesTransferred: number;
  bytesSent: number;
  bytesReceived: number;
  /** Bytes of file data the transferred files hold. */
  transferredBytes: number;
  deleted: number;
}

/** Which rsync invocation of a batch (see rsync-args.ts). */
export type Pass = 'tree' | 'files' | 'deletes' | 'full';

export type Verdict = 'ok' | 'retry' | 'fatal';

/**
 * One log line (and metrics event) of a replica. Every kind has its own formatter in
 * report-format.ts, so adding a kind without a message is a compile error.
 */
export type BatchReport =
  /** An incremental batch finished (all its passes ok). */
  | {
      kind: 'batch';
      paths: number;
      trees: number;
      writes: number;
      deletes: number;
      moves: number;
      renamed: number;
      stats: RsyncStats;
      durationMs: number;
      exitCode: number;
      /** ms from the oldest change of the batch to its acknowledgement. */
      lagMs: number;
    }
  | { kind: 'full-sync-start'; reason: string }
  /** Periodic progress of a long full sync (rsync --info=progress2). */
  | { kind: 'full-sync-progress'; bytes: number; percent: number; elapsedMs: number }
  | { kind: 'full-sync'; reason: string; stats: RsyncStats; durationMs: number; exitCode: number }
  /** The renames of one batch; failures cost only speed (rsync sends the file instead). */
  | { kind: 'rename'; renamed: number; failed: number; firstFailure?: { from: RelPath; to: RelPath; error: string } }
  /** An attempt failed: what ran, how it ended, what happens next. */
  | {
      kind: 'error';
      pass: Pass | 'spawn';
      exitCode?: number;
      signal?: string;
      verdict: Exclude<Verdict, 'ok'>;
      reason: string;
      stderrTail: string;
      paths: number;
      attempt: number;
      /** For verdict retry: ms until the next attempt. */
      retryInMs?: number;
    }
  /** The queue was replaced by one full resync. */
  | { kind: 'collapse'; reason: 'queue-cap' | 'outage' | 'requested'; queued: number; detail: string }
  | { kind: 'state'; from: ReplicaState; to: ReplicaState }
  /** stop() finished; `unsent` changes were not acknowledged (the next initial sync covers them). */
  | { kind: 'stopped'; unsent: number; killed: boolean };
