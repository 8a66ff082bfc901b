import type { Move } from '../core/change.js';

export type RenameOutcome = { ok: true } | { ok: false; error: string };

/**
 * Replays a rename on a replica, so the file's data need not travel again.
 *
 * Contract: `rename` never rejects and never throws; a failure is an outcome, not an error, since
 * the batch stays complete without it (rsync sends the destination and deletes the source
 * anyway). It never replaces an entry of another type (a file onto a directory or the reverse)
 * and creates the destination's missing parent directories. Calls on one Renamer are made one at
 * a time (the Replica runs one batch at a time). `close()` releases connections; it is
 * idempotent, and a later `rename` may reconnect.
 */
export interface Renamer {
  rename(move: Move): Promise<RenameOutcome>;
  close(): Promise<void>;
}
