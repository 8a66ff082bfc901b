import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { Client as SshClient, ConnectConfig, SFTPWrapper, Stats } from 'ssh2';
import type { Move } from '../pipeline/change.js';
import { hostKeyAlgorithms, lookupName, parseKnownHosts, verifyHostKey, type HostKeyVerdict } from './known-hosts.js';
import { errorText, type RenameOutcome, type Renamer } from './transport.js';
import type { ReplicaSpec, ReplicaTunables } from './types.js';

const { Client } = ssh2;

export interface SshRenamerDeps {
  readFile?: (p: string) => Promise<Buffer>;
  env?: NodeJS.ProcessEnv;
  homedir?: string;
  username?: string;
  /** ms clock for the connect-failure pause. */
  clock?: () => number;
}

/** After a failed connect, renames are not tried again for this long (ms): each try could cost a
 *  whole connect timeout per batch (e.g. a host only ssh's own config can reach), and rsync
 *  delivers the batch without them anyway. */
export const RECONNECT_PAUSE_MS = 60_000;

interface Conn {
  client: SshClient;
  sftp: SFTPWrapper;
}

/** SFTP status codes (draft-ietf-secsh-filexfer-02 §7). */
const NO_SUCH_FILE = 2;

/**
 * Renames over sftp on an ssh replica (see Renamer for the contract). One connection per replica,
 * opened at the first rename and kept (with keepalives) for the next ones; any connection error
 * drops it and the next rename reconnects. A failed connect pauses renames for RECONNECT_PAUSE_MS.
 *
 * Authentication: `identityFile`, else the ssh agent (SSH_AUTH_SOCK), else the first of
 * ~/.ssh/id_ed25519, id_ecdsa, id_rsa. The host key is verified against `knownHostsFile`
 * (default ~/.ssh/known_hosts; plain and hashed entries, `[host]:port` for other ports,
 * @revoked) exactly like ssh with StrictHostKeyChecking=yes: an unknown or changed key refuses
 * the connection; verification is never skipped. Host aliases in ~/.ssh/config are not read (rsync's
 * ssh does read them): a target that only resolves through them gets no renames, only rsync.
 *
 * Renames use `posix-rename@openssh.com` when the server offers it (replaces an existing
 * destination, like rename(2)), else plain SFTP rename (which refuses an existing destination;
 * rsync then sends the file). ssh2 sends paths as UTF-8 text, so a name that is not valid UTF-8
 * cannot be renamed byte-exactly: such renames are skipped (reported as failed).
 */
export function sshRenamer(spec: ReplicaSpec, tunables: Pick<ReplicaTunables, 'connectTimeoutS' | 'ioTimeoutS'>, deps: SshRenamerDeps = {}): Renamer {
  const t = spec.target;
  if (t.kind !== 'ssh') throw new Error(`sshRenamer needs an ssh target, got ${t.kind}`);
  const env = deps.env ?? process.env;
  const home = deps.homedir ?? os.homedir();
  const readFile = deps.readFile ?? ((p: string) => fsp.readFile(p));
  const host = t.host;
  const port = t.port ?? spec.sshPort ?? 22;
  const username = t.user ?? deps.username ?? os.userInfo().username;
  const knownHostsFile = spec.knownHostsFile ?? path.join(home, '.ssh', 'known_hosts');
  const opTimeoutMs = tunables.ioTimeoutS * 1000;
  const clock = deps.clock ?? Date.now;
  let conn: Promise<Conn> | undefined;
  let lastConnectFailure: { at: number; error: string } | undefined;

  const drop = (c: Promise<Conn>) => {
    if (conn === c) conn = undefined;
    c.then((x) => x.client.end(), () => {});
  };

  async function connect(): Promise<Conn> {
    let knownText: string;
    try {
      knownText = (await readFile(knownHostsFile)).toString('utf8');
    } catch (e) {
      throw new Error(`cannot read known_hosts ${knownHostsFile}: ${errorText(e)}`);
    }
    const known = parseKnownHosts(knownText);
    const auth = await authConfig();
    const algorithms = hostKeyAlgorithms(known, host, port);
    let verdict: HostKeyVerdict | undefined;
    const client = new Client();
    const config: ConnectConfig = {
      host,
      port,
      username,
      ...auth,
      readyTimeout: tunables.connectTimeoutS * 1000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        verdict = verifyHostKey(known, host, port, key);
        return verdict === 'match';
      },
    };
    if (algorithms.length > 0) config.algorithms = { serverHostKey: algorithms as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']> };
    return new Promise<Conn>((resolve, reject) => {
      // A persistent listener: an error after `ready` (connection reset) must not crash the daemon;
      // it ends in 'close', which drops the connection.
      client.on('error', (e: Error) => {
        if (verdict !== undefined && verdict !== 'match')
          reject(new Error(`host key verification failed for ${lookupName(host, port)}: ${verdictText(verdict)} in ${knownHostsFile}`));
        else reject(new Error(`ssh ${lookupName(host, port)}: ${errorText(e)}`));
      });
      client.once('ready', () => {
        client.sftp((err, sftp) => {
          if (err) {
            client.end();
            reject(new Error(`ssh ${lookupName(host, port)}: cannot start sftp: ${errorText(err)}`));
          } else resolve({ client, sftp });
        });
      });
      client.connect(config);
    });
  }

  async function authConfig(): Promise<Pick<ConnectConfig, 'privateKey' | 'agent'>> {
    if (spec.identityFile !== undefined) {
      try {
        return { privateKey: await readFile(spec.identityFile) };
      } catch (e) {
        throw new Error(`cannot read identityFile ${spec.identityFile}: ${errorText(e)}`);
      }
    }
    const sock = env['SSH_AUTH_SOCK'];
    if (sock) return { agent: sock };
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const key = await readFile(path.join(home, '.ssh', name)).catch(() => undefined);
      if (key) return { privateKey: key };
    }
    throw new Error('no identityFile, no ssh agent (SSH_AUTH_SOCK) and no ~/.ssh/id_* key');
  }

  function connection(): Promise<Conn> {
    if (!conn) {
      const c = connect();
      conn = c;
      c.then(
        (x) => x.client.once('close', () => drop(c)),
        () => drop(c),
      );
    }
    return conn;
  }

  /** One sftp request with a deadline; a timeout drops the connection (it may be wedged). */
  function op<T>(c: Promise<Conn>, run: (sftp: SFTPWrapper, cb: (err: Error | null | undefined, v?: T) => void) => void): Promise<T> {
    return c.then(
      ({ sftp }) =>
        new Promise<T>((resolve, reject) => {
          const timer = setTimeout(() => {
            drop(c);
            reject(new Error(`sftp request timed out after ${opTimeoutMs} ms`));
          }, opTimeoutMs);
          try {
            run(sftp, (err, v) => {
              clearTimeout(timer);
              if (err) reject(err);
              else resolve(v as T);
            });
          } catch (e) {
            clearTimeout(timer);
            reject(e as Error);
          }
        }),
    );
  }

  const lstat = (c: Promise<Conn>, p: string) => op<Stats>(c, (s, cb) => s.lstat(p, cb));

  async function doRename(c: Promise<Conn>, from: string, to: string): Promise<void> {
    await op<void>(c, (s, cb) => {
      try {
        s.ext_openssh_rename(from, to, (err) => cb(err));
      } catch {
        // The server does not offer posix-rename@openssh.com.
        s.rename(from, to, (err) => cb(err));
      }
    });
  }

  async function mkdirs(c: Promise<Conn>, rel: string): Promise<void> {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const dir = remote(parts.slice(0, i).join('/'));
      await op<void>(c, (s, cb) => s.mkdir(dir, (err) => cb(err))).catch(() => {});
    }
  }

  function remote(relText: string): string {
    const base = t.kind === 'ssh' ? t.path : '';
    return base.endsWith('/') ? base + relText : `${base}/${relText}`;
  }

  return {
    async rename(move: Move): Promise<RenameOutcome> {
      const fromText = utf8Name(move.from);
      const toText = utf8Name(move.to);
      if (fromText === undefined || toText === undefined) return { ok: false, error: 'the name is not valid UTF-8 (sftp cannot carry it byte-exact); rsync sends it' };
      if (!conn && lastConnectFailure && clock() - lastConnectFailure.at < RECONNECT_PAUSE_MS)
        return { ok: false, error: `sftp unavailable (${lastConnectFailure.error}); next try ${RECONNECT_PAUSE_MS / 1000} s after that failure` };
      const c = connection();
      try {
        await c;
        lastConnectFailure = undefined;
      } catch (e) {
        lastConnectFailure = { at: clock(), error: errorText(e) };
        return { ok: false, error: errorText(e) };
      }
      const from = remote(fromText);
      const to = remote(toText);
      try {
        const src = await lstat(c, from);
        if (src.isDirectory() !== move.isDir) return { ok: false, error: `the replica has a ${src.isDirectory() ? 'directory' : 'file'} at the old path` };
        const dst = await lstat(c, to).catch(() => undefined);
        if (dst && dst.isDirectory() !== src.isDirectory()) return { ok: false, error: `the replica has a ${dst.isDirectory() ? 'directory' : 'file'} at the new path` };
        try {
          await doRename(c, from, to);
        } catch (e) {
          const slash = toText.lastIndexOf('/');
          if ((e as { code?: unknown }).code !== NO_SUCH_FILE || slash < 0) throw e;
          await mkdirs(c, toText.slice(0, slash));
          await doRename(c, from, to);
        }
        return { ok: true };
      } catch (e) {
        // A failure without an SFTP status code is the connection's: start afresh next time.
        if (typeof (e as { code?: unknown }).code !== 'number') drop(c);
        return { ok: false, error: errorText(e) };
      }
    },
    async close() {
      const c = conn;
      conn = undefined;
      if (c) await c.then((x) => x.client.end(), () => {});
    },
  };
}

function verdictText(v: HostKeyVerdict): string {
  switch (v) {
    case 'mismatch':
      return 'the key differs from the one recorded';
    case 'unknown':
      return 'no key is recorded for the host';
    case 'revoked':
      return 'the key is marked @revoked';
    case 'match':
      return 'ok';
  }
}

/** The byte-string path as UTF-8 text, or undefined when its bytes are not valid UTF-8. */
export function utf8Name(p: string): string | undefined {
  const bytes = Buffer.from(p, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}
