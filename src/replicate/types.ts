import type { RelPath } from '../core/path.js';
import type { ReplicaStateName } from '../core/status.js';

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
export type Pass = RsyncPass | MeshPass;

/** The runs of a plain replica (rsync-args.ts). */
export type RsyncPass = 'tree' | 'files' | 'deletes' | 'full';

/** A mesh peer's runs (mesh/push.ts): data staged, manifest delivered, the peer's name read. */
export type MeshPass = 'stage' | 'manifest' | 'identity';

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
  /** A run found paths changing under it on the source (rsync-stderr.ts); they are queued again at once. */
  | { kind: 'source-changed'; paths: number; first: RelPath; deletionsSkipped: boolean; inARow: number }
  /** The queue was replaced by one full resync. */
  | { kind: 'collapse'; reason: 'queue-cap' | 'outage' | 'requested'; queued: number; detail: string }
  | { kind: 'state'; from: ReplicaStateName; to: ReplicaStateName }
  /** stop() finished; `unsent` changes were not acknowledged (the next initial sync covers them). */
  | { kind: 'stopped'; unsent: number; killed: boolean }
  | MasterReport;

/** What the ssh master of a replica's connection sharing did (ssh/master.ts). */
export type MasterReport =
  | { kind: 'ssh-master-started'; pid: number; socket: string }
  /** It ended without being asked; rsync's ssh connects directly until it is back. `repeated`:
   *  it ended for the same reason as the time before (logged quietly). */
  | { kind: 'ssh-master-exited'; pid: number; exitCode?: number; signal?: string; reason: string; upMs: number; attempt: number; restartInMs: number; repeated: boolean }
  | { kind: 'ssh-master-stopped'; pid: number; killed: boolean }
  /** No connection sharing for this replica (no runtime directory, ssh would not start). */
  | { kind: 'ssh-master-off'; reason: string };
