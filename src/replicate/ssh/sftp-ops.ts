import type { SFTPWrapper, Stats } from 'ssh2';
import type { Clock } from '../../core/clock.js';
import type { SshConnection, SshSession } from './connection.js';

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7). */
export const SFTP_NO_SUCH_FILE = 2;

/** True when `e` carries an SFTP status code: the server answered, the connection is fine. */
export function isSftpStatus(e: unknown): boolean {
  return typeof (e as { code?: unknown }).code === 'number';
}

/**
 * SFTP requests on one session, each with a deadline. Paths are text (ssh2 sends them as UTF-8).
 *
 * Contract: every method rejects with the server's error (which carries an SFTP status `code`)
 * or with a connection error (no numeric code); a request that misses its deadline drops the
 * session (it may be wedged) and rejects. Calls may run concurrently.
 */
export class SftpOps {
  constructor(
    private readonly conn: SshConnection,
    private readonly session: Promise<SshSession>,
    private readonly timeoutMs: number,
    private readonly clock: Clock,
  ) {}

  lstat(p: string): Promise<Stats> {
    return this.op<Stats>((s, cb) => s.lstat(p, cb));
  }

  /** rename(2) semantics (replaces the destination) with posix-rename@openssh.com; plain SFTP rename otherwise. */
  rename(from: string, to: string): Promise<void> {
    return this.op<void>((s, cb) => {
      try {
        s.ext_openssh_rename(from, to, (err) => cb(err));
      } catch {
        // The server does not offer posix-rename@openssh.com.
        s.rename(from, to, (err) => cb(err));
      }
    });
  }

  /** mkdir -p of `dirs`, each an ancestor of the next (errors such as "exists" are ignored). */
  async mkdirs(dirs: readonly string[]): Promise<void> {
    for (const d of dirs) await this.op<void>((s, cb) => s.mkdir(d, (err) => cb(err))).catch(() => {});
  }

  /** Drops the session when `e` is not an SFTP status (the connection failed, not the request). */
  dropUnlessStatus(e: unknown): void {
    if (!isSftpStatus(e)) this.conn.drop(this.session);
  }

  private op<T>(run: (sftp: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
    return this.session.then(
      ({ sftp }) =>
        new Promise<T>((resolve, reject) => {
          const timer = this.clock.setTimeout(() => {
            this.conn.drop(this.session);
            reject(new Error(`sftp request timed out after ${this.timeoutMs} ms`));
          }, this.timeoutMs);
          try {
            run(sftp, (err, v) => {
              this.clock.clearTimeout(timer);
              if (err) reject(err);
              else resolve(v as T);
            });
          } catch (e) {
            this.clock.clearTimeout(timer);
            reject(e as Error);
          }
        }),
    );
  }
}
