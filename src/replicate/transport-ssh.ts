import type { Move } from '../core/change.js';
import { realClock } from '../core/clock.js';
import { errorText } from '../core/errors.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { ReplicaTunables } from '../core/tunables.js';
import { SshConnection, type SshEnv } from './ssh/connection.js';
import { isSftpStatus, SFTP_NO_SUCH_FILE, SftpOps } from './ssh/sftp-ops.js';
import type { RenameOutcome, Renamer } from './transport.js';

/**
 * Renames over sftp on an ssh replica (see Renamer for the contract), on the replica's own ssh
 * connection (ssh/connection.ts: opened at the first rename, kept, verified like ssh does).
 *
 * Renames use posix-rename@openssh.com when the server offers it (replaces an existing
 * destination, like rename(2)), else plain SFTP rename (which refuses an existing destination;
 * rsync then sends the file). ssh2 sends paths as UTF-8 text, so a name that is not valid UTF-8
 * cannot be renamed byte-exactly: such renames are skipped (reported as failed).
 */
export function sshRenamer(spec: ReplicaSpec, tunables: Pick<ReplicaTunables, 'connectTimeoutS' | 'ioTimeoutS'>, deps: SshEnv = {}): Renamer {
  const t = spec.target;
  if (t.kind !== 'ssh') throw new Error(`sshRenamer needs an ssh target, got ${t.kind}`);
  const conn = new SshConnection(spec, tunables, deps);
  const clock = deps.clock ?? realClock;
  const remote = (rel: string) => (t.path.endsWith('/') ? t.path + rel : `${t.path}/${rel}`);
  /** One try on the current (or a new) session; `lost`: the connection failed, not the request. */
  const attempt = async (move: Move, fromText: string, toText: string): Promise<RenameOutcome & { lost?: boolean }> => {
    const session = conn.session();
    try {
      await session;
    } catch (e) {
      return { ok: false, error: errorText(e) };
    }
    const sftp = new SftpOps(conn, session, tunables.ioTimeoutS * 1000, clock);
    const from = remote(fromText);
    const to = remote(toText);
    try {
      const src = await sftp.lstat(from);
      if (src.isDirectory() !== move.isDir) return { ok: false, error: `the replica has a ${src.isDirectory() ? 'directory' : 'file'} at the old path` };
      const dst = await sftp.lstat(to).catch((e: unknown) => {
        if (!isSftpStatus(e)) throw e;
        return undefined;
      });
      if (dst && dst.isDirectory() !== src.isDirectory()) return { ok: false, error: `the replica has a ${dst.isDirectory() ? 'directory' : 'file'} at the new path` };
      try {
        await sftp.rename(from, to);
      } catch (e) {
        const slash = toText.lastIndexOf('/');
        if ((e as { code?: unknown }).code !== SFTP_NO_SUCH_FILE || slash < 0) throw e;
        await sftp.mkdirs(ancestors(toText.slice(0, slash)).map(remote));
        await sftp.rename(from, to);
      }
      return { ok: true };
    } catch (e) {
      sftp.dropUnlessStatus(e);
      return { ok: false, error: errorText(e), ...(isSftpStatus(e) ? {} : { lost: true }) };
    }
  };
  return {
    async rename(move: Move): Promise<RenameOutcome> {
      const fromText = utf8Name(move.from);
      const toText = utf8Name(move.to);
      if (fromText === undefined || toText === undefined) return { ok: false, error: 'the name is not valid UTF-8 (sftp cannot carry it byte-exactly); rsync sends it' };
      // A kept connection may have died since the last rename (a server restart, an idle
      // timeout): one more try on a fresh one. A rename the dead connection did carry out shows
      // up as a missing old path, and rsync then sends the file: never a wrong tree.
      const first = await attempt(move, fromText, toText);
      if (first.ok || !first.lost) return first.ok ? { ok: true } : { ok: false, error: first.error };
      const again = await attempt(move, fromText, toText);
      return again.ok ? { ok: true } : { ok: false, error: again.error };
    },
    close: () => conn.close(),
  };
}

/** 'a/b/c' → ['a', 'a/b', 'a/b/c']. */
function ancestors(rel: string): string[] {
  const parts = rel.split('/');
  return parts.map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** The byte-string path as UTF-8 text, or undefined when its bytes are not valid UTF-8. */
export function utf8Name(p: string): string | undefined {
  const bytes = Buffer.from(p, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}
