/**
 * What `livemirror status` shows: the daemon serves it as JSON on its status socket
 * (observe/status.ts). Types only, so the status command loads nothing of the daemon.
 */

/**
 * What a replica is doing (the `kind` of replicate/replica-state.ts's union):
 *  - `idle`    nothing queued and nothing in flight;
 *  - `syncing` an incremental batch (renames, then one rsync over the named paths) is running;
 *              changes arriving meanwhile wait in the queue and go out as the next batch;
 *  - `backoff` the last attempt failed with a retryable error; the failed work is back in the
 *              queue and the next attempt starts at `nextAttempt`;
 *  - `resync`  a full sync of the whole tree is running (initial sync, after a long outage, a
 *              queue past its cap, or requested);
 *  - `halted`  nothing runs until revived: a fatal error (bad auth, unsupported option, missing
 *              rsync …; see `lastError`), or `stop()` left changes unsent. Changes still queue
 *              (collapsing to a full resync at the cap); `requestFullSync()` revives it.
 */
export type ReplicaStateName = 'idle' | 'syncing' | 'backoff' | 'resync' | 'halted';

export interface ReplicaStatus {
  name: string;
  /** The target text as configured. */
  target: string;
  state: ReplicaStateName;
  /** Paths waiting in the queue (not counting those in flight). */
  queued: number;
  /** ms since the oldest change not yet acknowledged by the replica (queued or in flight); 0 when none. */
  lagMs: number;
  /** Paths in the batch now running (0 when none). */
  inFlight: number;
  /** Clock time (ms) of the last successful batch or full sync. */
  lastSuccess?: number;
  lastError?: { time: number; message: string; exitCode?: number };
  /** State `backoff`: clock time (ms) of the next attempt. */
  nextAttempt?: number;
  /** State `resync`: why the full sync runs. */
  resyncReason?: string;
  /** Consecutive failed attempts (0 after a success). */
  attempts: number;
  /** Full syncs completed. */
  fullSyncs: number;
  /** Incremental batches completed. */
  batches: number;
}

export interface DaemonStatus {
  pid: number;
  source: string;
  /** Watches are set and every replica has finished its initial sync (or is retrying it). */
  ready: boolean;
  startedAt: number;
  readyAt?: number;
  watches: number;
  overflows: number;
  /** Changes seen but not yet settled (still being written, or within the quiet window). */
  settling: number;
  replicas: ReplicaStatus[];
}
