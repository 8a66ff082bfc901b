import type { Client, ClientChannel, SFTPWrapper } from 'ssh2';
import type { NodeInfo, ProcessSignal } from './cluster.js';
import { remoteShell, type RemoteShell } from './remote-shell.js';
import { type Arg, commandLine, op, script } from './shell-quote.js';
import { connectSsh } from './ssh-connect.js';

export interface ExecOptions {
  /** Bytes for the command's stdin (then EOF). Default: empty stdin. */
  readonly stdin?: string | Buffer;
  /** Kill the command (SIGKILL via the channel) and reject after this long. Default 120 000 ms. */
  readonly timeoutMs?: number;
  /** Working directory on the node. Default: the login user's home. */
  readonly cwd?: string;
  /** Extra environment variables (set with `env`, so they reach any argv[0]). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ExecResult {
  /** Exit status, or null when the command died from a signal. */
  readonly code: number | null;
  readonly signal: string | undefined;
  readonly stdout: Buffer;
  readonly stderr: Buffer;
}

/** A command exited non-zero (or by a signal). */
export class CommandError extends Error {
  override readonly name = 'CommandError';
  constructor(
    readonly node: string,
    readonly argv: readonly Arg[],
    readonly result: ExecResult,
  ) {
    const shown = argv.map((a) => (typeof a === 'string' ? a : `<${a.length} bytes>`)).join(' ');
    const why = result.code === null ? `signal ${result.signal ?? '?'}` : `exit ${result.code}`;
    super(`${node}: \`${shown.slice(0, 300)}\` failed (${why}): ${result.stderr.toString('utf8').trim().slice(-2000)}`);
  }
}

export class ExecTimeoutError extends Error {
  override readonly name = 'ExecTimeoutError';
}

const MAX_OUTPUT = 512 * 1024 * 1024;

/** Where spawnBackground records what it started (relative to the login user's home on the node). */
export const SPAWNED_DIR = '.livemirror-e2e';
export const SPAWNED_FILE = `${SPAWNED_DIR}/spawned`;

/**
 * The command line spawnBackground runs: starts `argv` in its own session (`setsid` in a
 * background job is not a group leader, so it does not fork: $! is the pid of the program itself,
 * setsid and env both exec), prints its pid, and appends `pid lstart` to SPAWNED_FILE — `cd` alone
 * goes to the home directory that path is relative to (before and after the program's cwd); `ps` finds nothing for a process that
 * has already exited (then there is nothing to stop).
 */
export function spawnLine(argv: readonly Arg[], opts: { logFile: string; cwd?: string; env?: Readonly<Record<string, string>> }): Buffer {
  const envArgs = Object.entries(opts.env ?? {}).map(([k, v]) => `${checkEnvName(k)}=${v}`);
  return script([
    'cd', op(';'), 'mkdir', '-p', SPAWNED_DIR, op(';'),
    'cd', '--', opts.cwd ?? '/', op('||'), 'exit', '97', op(';'),
    'setsid', 'env', '--', ...envArgs, ...argv,
    op('>>'), opts.logFile, op('2>&1'), op('<'), '/dev/null', op('&'),
    'echo', op('$!'), op(';'),
    'cd', op(';'),
    'ps', '-o', 'pid=', '-o', 'lstart=', '-p', op('$!'), op('>>'), SPAWNED_FILE, op(';'),
    'true',
  ]);
}

/**
 * `sh -c` body: exit 0 once process $1 is gone (or a zombie nobody has reaped yet), 124 after $2
 * rounds of 50 ms. `ps -o stat=` is the same on Linux and FreeBSD.
 */
export const WAIT_EXIT_SCRIPT =
  'gone() { s=$(ps -o stat= -p "$1" 2>/dev/null) || return 0; case $s in *Z*|"") return 0 ;; esac; return 1; }; ' +
  'i=0; until gone "$1"; do i=$((i + 1)); if [ "$i" -ge "$2" ]; then exit 124; fi; sleep 0.05; done';

/**
 * Drives one node over ssh, as an operator on that host would: command lines (`$`, zx style) and
 * argv arrays (`exec`, `run`), both quoted for the remote shell byte-exactly, files over sftp,
 * background processes with a log file.
 *
 * Contract: any number of calls may run concurrently (one ssh connection, one channel each).
 * The connection is re-established on demand after it is lost (e.g. across disconnect/reconnect
 * of the node); a call in flight when it is lost rejects. `exec` never throws for a non-zero
 * exit; `run` does. Every call is bounded by its timeout. `close()` is idempotent.
 */
export class NodeSession {
  private client: Client | undefined;
  private connecting: Promise<Client> | undefined;
  private sftpChannel: Promise<SFTPWrapper> | undefined;
  private closed = false;
  /** Why the last connection ended (ssh2 reports it as an 'error' event), for messages. */
  private lastError: Error | undefined;

  /**
   * zx's `$`, bound to this node (remote-shell.ts): ``await node.$`ls -la ${dir}` `` runs in the
   * node's shell over this connection; values are quoted as one word each; non-zero exit throws
   * unless `.nothrow()`.
   */
  readonly $: RemoteShell;

  private constructor(readonly info: NodeInfo) {
    this.$ = remoteShell(info.name, (line, opts) => this.execLine(line, opts));
  }

  /** A session with a verified, authenticated connection. */
  static async connect(info: NodeInfo, opts: { deadlineMs?: number } = {}): Promise<NodeSession> {
    const s = new NodeSession(info);
    await s.ensure(opts.deadlineMs);
    return s;
  }

  get name(): string {
    return this.info.name;
  }

  /** Runs `argv` on the node; resolves with its status and output whatever the status. */
  async exec(argv: readonly Arg[], opts: ExecOptions = {}): Promise<ExecResult> {
    const parts: Parameters<typeof script>[0][number][] = [];
    if (opts.cwd !== undefined) parts.push('cd', '--', opts.cwd, op('&&'));
    if (opts.env && Object.keys(opts.env).length) {
      parts.push('env', '--', ...Object.entries(opts.env).map(([k, v]) => `${checkEnvName(k)}=${v}`));
    }
    const line = parts.length ? Buffer.concat([script(parts), Buffer.from(' '), commandLine(argv)]) : commandLine(argv);
    return this.execLine(line, opts);
  }

  /** `exec`, but throws `CommandError` unless the exit status is 0; resolves with stdout (UTF-8). */
  async run(argv: readonly Arg[], opts: ExecOptions = {}): Promise<string> {
    const r = await this.exec(argv, opts);
    if (r.code !== 0) throw new CommandError(this.name, argv, r);
    return r.stdout.toString('utf8');
  }

  /** The file's bytes over sftp; rejects after `timeoutMs` (default 120 000). */
  async readFile(path: string, opts: { timeoutMs?: number } = {}): Promise<Buffer> {
    return this.bounded(`sftp read ${path}`, opts.timeoutMs, async () => {
      const sftp = await this.sftp();
      return new Promise<Buffer>((resolve, reject) => {
        sftp.readFile(path, (err: Error | undefined | null, data: Buffer) => (err ? reject(sftpError(this.name, 'read', path, err)) : resolve(data)));
      });
    });
  }

  /** Writes the file over sftp; rejects after `timeoutMs` (default 120 000). */
  async writeFile(path: string, data: string | Buffer, opts: { mode?: number; timeoutMs?: number } = {}): Promise<void> {
    await this.bounded(`sftp write ${path}`, opts.timeoutMs, async () => {
      const sftp = await this.sftp();
      await new Promise<void>((resolve, reject) => {
        sftp.writeFile(path, data, { mode: opts.mode ?? 0o644 }, (err: Error | undefined | null) =>
          err ? reject(sftpError(this.name, 'write', path, err)) : resolve(),
        );
      });
    });
  }

  /** `fn`, or an ExecTimeoutError after `timeoutMs` (the operation itself cannot be cancelled). */
  private async bounded<T>(what: string, timeoutMs = 120_000, fn: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ExecTimeoutError(`${this.name}: ${what} timed out after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([fn(), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Starts `argv` detached from the ssh session (own session, stdin from /dev/null, stdout and
   * stderr appended to `logFile`) and resolves with its pid on the node once it is running.
   * The pid and its start time (`ps -o lstart`) are appended to `SPAWNED_FILE` in the login
   * user's home, so that a provider whose hosts outlive the cluster (ssh) can stop every process
   * the harness started there, by pid, after checking it is still the same process.
   */
  async spawnBackground(
    argv: readonly Arg[],
    opts: { logFile: string; cwd?: string; env?: Readonly<Record<string, string>> },
  ): Promise<number> {
    const line = spawnLine(argv, opts);
    const r = await this.execLine(line, { timeoutMs: 15_000 });
    const pid = Number.parseInt(r.stdout.toString().trim(), 10);
    if (r.code !== 0 || !Number.isInteger(pid) || pid <= 0) {
      throw new Error(`${this.name}: could not start ${String(argv[0])}: exit ${r.code} ${r.stderr.toString().trim()}`);
    }
    return pid;
  }

  /** Sends `signal` to `pid` on the node; throws if there is no such process. */
  async signal(pid: number, signal: ProcessSignal): Promise<void> {
    await this.run(['kill', '-s', signal, String(checkPid(pid))]);
  }

  /** True while `pid` exists on the node. */
  async isAlive(pid: number): Promise<boolean> {
    const r = await this.exec(['kill', '-0', String(checkPid(pid))]);
    return r.code === 0;
  }

  /**
   * Resolves true once `pid` has exited, false if it still runs after `timeoutMs`. A loop of
   * `kill -0` in the node's sh (GNU `tail --pid` is not on FreeBSD), 50 ms apart, bounded in count.
   */
  async waitExit(pid: number, timeoutMs: number): Promise<boolean> {
    const rounds = Math.max(1, Math.ceil(timeoutMs / 50));
    const r = await this.exec(['sh', '-c', WAIT_EXIT_SCRIPT, 'sh', String(checkPid(pid)), String(rounds)], {
      timeoutMs: timeoutMs * 2 + 10_000,
    });
    if (r.code === 0) return true;
    if (r.code === 124) return false;
    throw new CommandError(this.name, ['sh', '-c', 'wait-exit', String(pid)], r);
  }

  /** The last `lines` lines of a file on the node ('' when it does not exist). */
  async tail(path: string, lines = 40): Promise<string> {
    const r = await this.exec(['tail', '-n', String(lines), '--', path]);
    return r.code === 0 ? r.stdout.toString('utf8') : '';
  }

  async close(): Promise<void> {
    this.closed = true;
    const c = this.client;
    this.client = undefined;
    this.sftpChannel = undefined;
    if (!c) return;
    await new Promise<void>((resolve) => {
      // A node that is gone (netns torn down: no FIN, no RST ever comes) would keep an ended
      // socket open, and this process alive, for the kernel's FIN retries: destroy it.
      const t = setTimeout(() => {
        c.destroy();
        resolve();
      }, 2000);
      c.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      c.end();
    });
  }

  /**
   * Runs an already-quoted command line. The timeout covers opening the channel too, and rejects
   * at once when it fires (a channel on a dead connection may never report its close).
   */
  private async execLine(line: Buffer, opts: ExecOptions): Promise<ExecResult> {
    const client = await this.ensure();
    const timeoutMs = opts.timeoutMs ?? 120_000;
    const shown = (): string => line.toString('utf8').slice(0, 200);
    return new Promise<ExecResult>((resolve, reject) => {
      let opened: ClientChannel | undefined;
      let settled = false;
      const finish = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        f();
      };
      const timer = setTimeout(() => {
        opened?.signal('KILL');
        opened?.close();
        finish(() => reject(new ExecTimeoutError(`${this.name}: command timed out after ${timeoutMs} ms: ${shown()}`)));
      }, timeoutMs);
      // Listeners go on inside the callback, synchronously: a fast command's exit status can
      // arrive in the same read as the channel confirmation, and 'exit' is not replayed.
      const onChannel = (chErr: Error | undefined, channel: ClientChannel): void => {
        if (chErr) {
          finish(() => reject(chErr));
          return;
        }
        if (settled) {
          channel.close(); // timed out while opening
          return;
        }
        opened = channel;
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let size = 0;
        let code: number | null | undefined;
        let signal: string | undefined;
        const take = (into: Buffer[]) => (d: Buffer) => {
          size += d.length;
          if (size <= MAX_OUTPUT) into.push(d);
        };
        channel.on('exit', (c: number | null, sig?: string) => {
          code = c;
          signal = sig;
        });
        channel.on('data', take(out));
        channel.stderr.on('data', take(err));
        channel.on('close', () => {
          if (code === undefined) {
            const why = this.lastError ? ` (${this.lastError.message})` : '';
            finish(() => reject(new Error(`${this.name}: channel closed without an exit status${why}: ${shown()}`)));
          } else {
            const result = { code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) };
            finish(() => resolve(result));
          }
        });
        channel.end(opts.stdin);
      };
      try {
        // ssh2 sends a Buffer command byte-exactly; its typings only admit strings.
        client.exec(line as unknown as string, onChannel);
      } catch (e) {
        finish(() => reject(e instanceof Error ? e : new Error(String(e))));
      }
    });
  }

  private async sftp(): Promise<SFTPWrapper> {
    const client = await this.ensure();
    if (!this.sftpChannel) {
      this.sftpChannel = new Promise<SFTPWrapper>((resolve, reject) =>
        client.sftp((err, s) => (err ? reject(err) : resolve(s))),
      );
      this.sftpChannel.catch(() => {
        this.sftpChannel = undefined;
      });
    }
    return this.sftpChannel;
  }

  /** The live connection, connecting (again) if there is none. */
  private async ensure(deadlineMs?: number): Promise<Client> {
    if (this.closed) throw new Error(`${this.name}: session closed`);
    if (this.client) return this.client;
    if (!this.connecting) {
      this.connecting = connectSsh(this.info.ssh, deadlineMs === undefined ? {} : { deadlineMs })
        .then((c) => {
          this.client = c;
          this.lastError = undefined;
          c.on('error', (e: Error) => {
            this.lastError = e;
          });
          c.once('close', () => {
            if (this.client === c) {
              this.client = undefined;
              this.sftpChannel = undefined;
            }
          });
          return c;
        })
        .finally(() => {
          this.connecting = undefined;
        });
    }
    return this.connecting;
  }
}

function checkPid(pid: number): number {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
  return pid;
}

function checkEnvName(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid environment variable name '${name}'`);
  return name;
}

function sftpError(node: string, what: string, path: string, err: Error): Error {
  return new Error(`${node}: sftp ${what} ${path}: ${err.message}`);
}

/** Opens sessions to several nodes at once. */
export async function connectAll(nodes: readonly NodeInfo[], opts: { deadlineMs?: number } = {}): Promise<NodeSession[]> {
  const settled = await Promise.allSettled(nodes.map((n) => NodeSession.connect(n, opts)));
  const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(ok.map((s) => s.close()));
    throw failed.reason;
  }
  return ok;
}
