import type { Change } from '../core/change.js';
import type { TimerHandle } from '../core/clock.js';

/** The last failure of a replica, as `status` shows it. */
export interface LastError {
  /** Clock time (ms). */
  time: number;
  message: string;
  exitCode?: number;
}

/** The batch (or full sync) a replica is running. */
export interface Run {
  /** The queued changes it took; they go back to the queue unless it succeeds. */
  changes: Change[];
  /** Time of the oldest event it covers (its lag counts from there); undefined for an empty full sync. */
  oldest: number | undefined;
  startedAt: number;
  /** Aborted by stop(): the running rsync is killed. */
  abort: AbortController;
  /** Settles when the run has ended and the replica has taken its outcome. */
  done?: Promise<void>;
}

/**
 * What a replica is doing, with the data that belongs to that state only (the names and their
 * meaning for operators: core/status.ts ReplicaStateName).
 */
export type ReplicaState =
  | { kind: 'idle' }
  | { kind: 'syncing'; run: Run }
  | { kind: 'resync'; run: Run; reason: string }
  /** `timer` is undefined once it fired: the retry is due. */
  | { kind: 'backoff'; nextAttempt: number; timer: TimerHandle | undefined; error: LastError }
  | { kind: 'halted'; error: LastError };

/** A state that runs something. */
export function runOf(s: ReplicaState): Run | undefined {
  return s.kind === 'syncing' || s.kind === 'resync' ? s.run : undefined;
}
