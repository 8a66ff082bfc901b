import type { Move } from '../pipeline/change.js';

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

/** A byte-string path (latin1, see pipeline/event.ts) as the bytes of `base/rel`; '' is `base`. */
export function joinBytes(base: string, rel: string): Buffer {
  const b = Buffer.from(base, 'utf8');
  if (rel === '') return b;
  const sep = b.length > 0 && b[b.length - 1] === 0x2f ? [] : [Buffer.from('/')];
  return Buffer.concat([b, ...sep, Buffer.from(rel, 'latin1')]);
}

/** The parent of a byte path (everything before the last '/'), or undefined at the top. */
export function parentBytes(p: Buffer): Buffer | undefined {
  const i = p.lastIndexOf(0x2f);
  return i <= 0 ? undefined : p.subarray(0, i);
}

export function errorText(e: unknown): string {
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    return code !== undefined && !e.message.includes(String(code)) ? `${code}: ${e.message}` : e.message;
  }
  return String(e);
}
