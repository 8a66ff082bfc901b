/**
 * The tunables the config resolves for the pipeline and the replicas (every default, its unit
 * and its reason: config/defaults.ts).
 */

/** The settle rule's tunables (pipeline/settle.ts). */
export interface SettleRule {
  /** ms a path must be quiet before it is released. */
  quietMs: number;
  /** ms a file still being written (open, or changing over more than `quietMs`) must be quiet. */
  stableForMs: number;
  /** ms after its first event a path is released even if it never stops changing (a log file). */
  maxHoldMs: number;
  /** ms after its first event a new directory leaves even while more is written below it,
   *  provided no file below it is still open (the rest follows as changes of their own). */
  treeHoldMs: number;
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
  /** Local replicas: written files up to this size are copied in-process, not by rsync
   *  (replicate/local-copy.ts); 0 or absent: rsync copies every file. */
  localCopyMaxBytes?: number;
}

