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

/** A mesh node's own figures (mesh/mesh.ts). */
export interface MeshStatus {
  node: string;
  id: string;
  /** off: the naive mesh (`meshProtection: off`), which loops. */
  protection: 'on' | 'off';
  /** Paths with a version, and tombstones of deleted ones (may be a few seconds old). */
  paths: number;
  tombstones: number;
  /** Manifests applied from peers, entries taken from them, conflicts resolved. */
  manifests: number;
  taken: number;
  conflicts: number;
  /** Manifests refused (a peer with this node's name, two peers with one name). */
  refused: number;
  /** Times this node sent a path in the state a peer had just sent it (a sync loop). */
  bounces: number;
  /** Paths held back by the loop detector now. */
  damped: number;
  lastProblem?: string;
}

export interface DaemonStatus {
  pid: number;
  source: string;
  /** Watches are set and every replica has finished its initial sync (or is retrying it). */
  ready: boolean;
  startedAt: number;
  readyAt?: number;
  /** The change source that runs (watch/select.ts), once it started. */
  watcher?: string;
  /** What the source holds in the kernel: inotify one watch per directory, fanotify one mark, linux-audit one rule. */
  watches: number;
  overflows: number;
  /** Changes seen but not yet settled (still being written, or within the quiet window). */
  settling: number;
  replicas: ReplicaStatus[];
  /** Present in mesh mode. */
  mesh?: MeshStatus;
}
