import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import type { Client as SshClient, ConnectConfig, SFTPWrapper } from 'ssh2';
import { realClock, type Clock } from '../../core/clock.js';
import { errorText } from '../../core/errors.js';
import type { ReplicaSpec } from '../../core/replica-spec.js';
import type { ReplicaTunables } from '../../core/tunables.js';
import { defaults } from '../../config/defaults.js';
import { hostKeyAlgorithms, lookupName, parseKnownHosts, verifyHostKey, type HostKeyVerdict } from './known-hosts.js';

const { Client } = ssh2;

/** What a connection reads from this machine (real ones by default; tests fake them). */
export interface SshEnv {
  readFile?: (p: string) => Promise<Buffer>;
  env?: NodeJS.ProcessEnv;
  homedir?: string;
  username?: string;
  clock?: Clock;
}

/** One open ssh connection with its sftp channel. */
export interface SshSession {
  client: SshClient;
  sftp: SFTPWrapper;
}

/**
 * The daemon's own ssh connection to one replica host (today for sftp renames; the channel is
 * meant for small-file transfers too).
 *
 * Contract: `session()` resolves with the open connection, opening it on first use and after it
 * was lost; concurrent callers share one connection. It rejects with a message that says what
 * failed (known_hosts unreadable, host key unknown or changed, no key, refused …). After a
 * failed connect it rejects at once for `sshReconnectPauseMs` (config/defaults.ts) instead of
 * trying again. `drop(s)` discards a session a caller found broken; `close()` ends the
 * connection (idempotent; a later `session()` reconnects).
 *
 * Authentication: `identityFile`, else the ssh agent (SSH_AUTH_SOCK), else the first of
 * ~/.ssh/id_ed25519, id_ecdsa, id_rsa. The host key is verified against `knownHostsFile`
 * (default ~/.ssh/known_hosts; plain and hashed entries, `[host]:port` for other ports,
 * @revoked) exactly like ssh with StrictHostKeyChecking=yes: an unknown or changed key refuses
 * the connection; verification is never skipped. Host aliases in ~/.ssh/config are not read
 * (rsync's ssh does read them): a target only they resolve gets no sftp, only rsync.
 */
export class SshConnection {
  private current: Promise<SshSession> | undefined;
  private lastFailure: { at: number; error: string } | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly username: string;
  private readonly knownHostsFile: string;
  private readonly clock: Clock;
  private readonly readFile: (p: string) => Promise<Buffer>;
  private readonly home: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    private readonly spec: ReplicaSpec,
    private readonly tunables: Pick<ReplicaTunables, 'connectTimeoutS'>,
    deps: SshEnv = {},
  ) {
    const t = spec.target;
    if (t.kind !== 'ssh') throw new Error(`an ssh connection needs an ssh target, got ${t.kind}`);
    this.env = deps.env ?? process.env;
    this.home = deps.homedir ?? os.homedir();
    this.readFile = deps.readFile ?? ((p: string) => fsp.readFile(p));
    this.clock = deps.clock ?? realClock;
    this.host = t.host;
    this.port = t.port ?? spec.sshPort ?? 22;
    this.username = t.user ?? deps.username ?? os.userInfo().username;
    this.knownHostsFile = spec.knownHostsFile ?? path.join(this.home, '.ssh', 'known_hosts');
  }

  /** `host` or `[host]:port`, as known_hosts names it. */
  get hostName(): string {
    return lookupName(this.host, this.port);
  }

  session(): Promise<SshSession> {
    if (this.current) return this.current;
    const pause = defaults.sshReconnectPauseMs;
    if (this.lastFailure && this.clock.now() - this.lastFailure.at < pause)
      return Promise.reject(new Error(`ssh unavailable (${this.lastFailure.error}); next try ${pause / 1000} s after that failure`));
    const c = this.connect();
    this.current = c;
    c.then(
      (s) => {
        this.lastFailure = undefined;
        s.client.once('close', () => this.drop(c));
      },
      (e: unknown) => {
        this.lastFailure = { at: this.clock.now(), error: errorText(e) };
        this.drop(c);
      },
    );
    return c;
  }

  /** Forgets `s` (if it is the current session) and ends its connection. */
  drop(s: Promise<SshSession>): void {
    if (this.current === s) this.current = undefined;
    s.then((x) => x.client.end(), () => {});
  }

  async close(): Promise<void> {
    const c = this.current;
    this.current = undefined;
    if (c) await c.then((x) => x.client.end(), () => {});
  }

  private async connect(): Promise<SshSession> {
    let knownText: string;
    try {
      knownText = (await this.readFile(this.knownHostsFile)).toString('utf8');
    } catch (e) {
      throw new Error(`cannot read known_hosts ${this.knownHostsFile}: ${errorText(e)}`);
    }
    const known = parseKnownHosts(knownText);
    const { host, port } = this;
    const algorithms = hostKeyAlgorithms(known, host, port);
    let verdict: HostKeyVerdict | undefined;
    const client = new Client();
    const config: ConnectConfig = {
      host,
      port,
      username: this.username,
      ...(await this.auth()),
      readyTimeout: this.tunables.connectTimeoutS * 1000,
      keepaliveInterval: defaults.sshKeepaliveMs,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        verdict = verifyHostKey(known, host, port, key);
        return verdict === 'match';
      },
    };
    if (algorithms.length > 0) config.algorithms = { serverHostKey: algorithms as NonNullable<NonNullable<ConnectConfig['algorithms']>['serverHostKey']> };
    return new Promise<SshSession>((resolve, reject) => {
      // A persistent listener: an error after `ready` (connection reset) must not crash the daemon;
      // it ends in 'close', which drops the connection.
      client.on('error', (e: Error) => {
        if (verdict !== undefined && verdict !== 'match')
          reject(new Error(`host key verification failed for ${this.hostName}: ${verdictText(verdict)} in ${this.knownHostsFile}`));
        else reject(new Error(`ssh ${this.hostName}: ${errorText(e)}`));
      });
      client.once('ready', () => {
        client.sftp((err, sftp) => {
          if (err) {
            client.end();
            reject(new Error(`ssh ${this.hostName}: cannot start sftp: ${errorText(err)}`));
          } else resolve({ client, sftp });
        });
      });
      client.connect(config);
    });
  }

  private async auth(): Promise<Pick<ConnectConfig, 'privateKey' | 'agent'>> {
    const file = this.spec.identityFile;
    if (file !== undefined) {
      try {
        return { privateKey: await this.readFile(file) };
      } catch (e) {
        throw new Error(`cannot read identityFile ${file}: ${errorText(e)}`);
      }
    }
    const sock = this.env['SSH_AUTH_SOCK'];
    if (sock) return { agent: sock };
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
      const key = await this.readFile(path.join(this.home, '.ssh', name)).catch(() => undefined);
      if (key) return { privateKey: key };
    }
    throw new Error('no identityFile, no ssh agent (SSH_AUTH_SOCK) and no ~/.ssh/id_* key');
  }
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
