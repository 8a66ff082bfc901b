import { existsSync, rmSync } from 'node:fs';
import { execa } from 'execa';
import { realClock, type Clock, type TimerHandle } from '../../core/clock.js';
import { errorText } from '../../core/errors.js';
import type { ReplicaSpec } from '../../core/replica-spec.js';
import type { ReplicaTunables } from '../../core/tunables.js';
import { defaults } from '../../config/defaults.js';
import { delayFor } from '../backoff.js';
import type { MasterReport } from '../types.js';
import { makeRuntimeDir, removeRuntimeDir, type RuntimeDir } from './runtime-dir.js';
import { masterArgs, type MasterOptions } from './ssh-args.js';

/** One started ssh process, as the master sees it (real: `spawnSsh`; tests fake it). */
export interface MasterProcess {
  /** undefined when it could not be started (then `exited` says why). */
  readonly pid: number | undefined;
  /** Resolves (never rejects) once the process has exited. */
  readonly exited: Promise<MasterExit>;
}

export interface MasterExit {
  exitCode?: number;
  signal?: string;
  /** The end of ssh's stderr: why it ended. */
  stderrTail: string;
  /** ssh could not be started at all. */
  spawnError?: string;
}

/** What the master does on this machine besides running ssh (real ones by default). */
export interface MasterFs {
  /** A fresh private directory for the socket (runtime-dir.ts); throws when there is none. */
  makeDir(): RuntimeDir;
  exists(p: string): boolean;
  /** Removes a file if it is there. */
  unlink(p: string): void;
  removeDir(dir: string): void;
}

export interface SshMasterOptions extends MasterOptions {
  restartInitialMs: number;
  restartMaxMs: number;
  /** ms between SIGTERM and SIGKILL when the master is stopped. */
  killGraceMs: number;
}

export interface SshMasterDeps {
  clock?: Clock;
  /** [0,1) for the restart jitter. */
  rand?: () => number;
  spawn?: (args: readonly string[]) => MasterProcess;
  fs?: MasterFs;
  /** Sends a signal to a pid (default process.kill; throws when it is gone). */
  kill?: (pid: number, signal: NodeJS.Signals) => void;
  onReport?: (r: MasterReport) => void;
}

type State =
  | { kind: 'new' }
  | { kind: 'running'; proc: MasterProcess; pid: number; since: number }
  | { kind: 'waiting'; timer: TimerHandle }
  | { kind: 'off' }
  | { kind: 'stopped' };

/**
 * The ssh master of one replica (OpenSSH connection sharing): one connection to the replica's
 * host, kept open by a child process (`ssh -M -N`, ssh-args.ts `masterArgs`) whose pid the daemon
 * holds, with its control socket in a private runtime directory (runtime-dir.ts). Every rsync's
 * ssh then runs its session over that connection (`controlPath`), which saves the key exchange
 * and authentication of a fresh login per batch.
 *
 * Contract:
 *  - `start()` makes the directory and starts ssh; idempotent; never throws (without a
 *    directory, or when ssh cannot be started, sharing is off for this replica, reported once).
 *  - A master that ends on its own (link lost, host down, killed) is started again after
 *    `delayFor(attempt)` (backoff.ts); one that lived `restartMaxMs` or longer counts as healthy
 *    and restarts after the first step again. Its stale socket is removed at once.
 *  - `controlPath` is the socket while a master process runs and its socket exists, else
 *    undefined. A batch never depends on the master: rsync's ssh connects directly when the
 *    master is down (or has just died and left its socket behind: ssh-args.ts `sharedOptions`).
 *  - `stop()` cancels a pending restart, sends the master SIGTERM by its pid, SIGKILL after
 *    `killGraceMs`, waits for it to exit and removes the directory. Idempotent; call it after the
 *    replica's last rsync ended (an rsync still running over the master would be cut).
 *  - Timers go through the clock; nothing here blocks.
 */
export class SshMaster {
  private state: State = { kind: 'new' };
  private runtime: RuntimeDir | undefined;
  private attempt = 0;
  private lastReason: string | undefined;
  private stopping: Promise<void> | undefined;
  private readonly clock: Clock;
  private readonly rand: () => number;
  private readonly spawn: (args: readonly string[]) => MasterProcess;
  private readonly fs: MasterFs;
  private readonly kill: (pid: number, signal: NodeJS.Signals) => void;

  constructor(
    private readonly spec: ReplicaSpec,
    private readonly opts: SshMasterOptions,
    private readonly deps: SshMasterDeps = {},
  ) {
    this.clock = deps.clock ?? realClock;
    this.rand = deps.rand ?? Math.random;
    this.spawn = deps.spawn ?? spawnSsh;
    this.fs = deps.fs ?? realFs;
    this.kill = deps.kill ?? ((pid, sig) => process.kill(pid, sig));
  }

  /** The master's pid while it runs (tests, status). */
  get pid(): number | undefined {
    return this.state.kind === 'running' ? this.state.pid : undefined;
  }

  /** The runtime directory, once made (tests). */
  get dir(): string | undefined {
    return this.runtime?.dir;
  }

  /** The socket rsync's ssh should use now, or undefined (connect directly). */
  get controlPath(): string | undefined {
    const socket = this.runtime?.socket;
    if (this.state.kind !== 'running' || socket === undefined) return undefined;
    return this.fs.exists(socket) ? socket : undefined;
  }

  start(): void {
    if (this.state.kind !== 'new') return;
    try {
      this.runtime = this.fs.makeDir();
    } catch (e) {
      this.state = { kind: 'off' };
      this.report({ kind: 'ssh-master-off', reason: errorText(e) });
      return;
    }
    this.launch();
  }

  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const s = this.state;
    this.state = { kind: 'stopped' };
    if (s.kind === 'waiting') this.clock.clearTimeout(s.timer);
    if (s.kind === 'running') {
      const signal = (sig: NodeJS.Signals) => {
        try {
          this.kill(s.pid, sig);
        } catch {
          // gone already
        }
      };
      let killed = false;
      signal('SIGTERM');
      const force = this.clock.setTimeout(() => {
        killed = true;
        signal('SIGKILL');
      }, this.opts.killGraceMs);
      await s.proc.exited;
      this.clock.clearTimeout(force);
      this.report({ kind: 'ssh-master-stopped', pid: s.pid, killed });
    }
    if (this.runtime) {
      try {
        this.fs.removeDir(this.runtime.dir);
      } catch {
        // Left behind: the next start's sweep (runtime-dir.ts sweepOrphans) does not take a live
        // pid's directory, but a tmp cleaner will; nothing depends on it.
      }
    }
  }

  private launch(): void {
    const runtime = this.runtime;
    if (!runtime) return;
    // A socket file left by a master that died without removing it makes the next master
    // refuse to listen ("ControlSocket ... already exists, disabling multiplexing") and run as
    // a plain connection nobody uses.
    this.unlinkSocket();
    const proc = this.spawn(masterArgs(this.spec, runtime.socket, this.opts));
    if (proc.pid === undefined) {
      void proc.exited.then((x) => {
        this.state = { kind: 'off' };
        this.report({ kind: 'ssh-master-off', reason: x.spawnError ?? (x.stderrTail || 'ssh did not start') });
      });
      return;
    }
    const since = this.clock.now();
    const pid = proc.pid;
    this.state = { kind: 'running', proc, pid, since };
    this.report({ kind: 'ssh-master-started', pid, socket: runtime.socket });
    void proc.exited.then((x) => this.exited(proc, pid, since, x));
  }

  private exited(proc: MasterProcess, pid: number, since: number, x: MasterExit): void {
    if (this.state.kind !== 'running' || this.state.proc !== proc) return; // stopping: stop() reports
    this.unlinkSocket();
    const now = this.clock.now();
    const upMs = Math.max(0, Math.round(now - since));
    this.attempt = upMs >= this.opts.restartMaxMs ? 1 : this.attempt + 1;
    const delay = delayFor(this.attempt, { initialMs: this.opts.restartInitialMs, maxMs: this.opts.restartMaxMs }, this.rand);
    const reason = lastLine(x.stderrTail) || (x.signal !== undefined ? `killed by ${x.signal}` : 'the connection ended');
    const r: MasterReport = { kind: 'ssh-master-exited', pid, reason, upMs, attempt: this.attempt, restartInMs: delay, repeated: reason === this.lastReason };
    if (x.exitCode !== undefined) r.exitCode = x.exitCode;
    if (x.signal !== undefined) r.signal = x.signal;
    this.lastReason = reason;
    this.report(r);
    const timer = this.clock.setTimeout(() => {
      if (this.state.kind !== 'waiting' || this.state.timer !== timer) return;
      this.launch();
    }, delay);
    this.state = { kind: 'waiting', timer };
  }

  private unlinkSocket(): void {
    if (!this.runtime) return;
    try {
      this.fs.unlink(this.runtime.socket);
    } catch {
      // Not ours to remove (the directory is private, so this does not happen): ssh says so.
    }
  }

  private report(r: MasterReport): void {
    try {
      this.deps.onReport?.(r);
    } catch {
      // A failing listener must not break the master.
    }
  }
}

/** The master options of a replica: its tunables and config/defaults.ts `sshMaster`. */
export function masterOptions(tunables: Pick<ReplicaTunables, 'connectTimeoutS' | 'killGraceMs'>): SshMasterOptions {
  const d = defaults.sshMaster;
  return {
    connectTimeoutS: tunables.connectTimeoutS,
    serverAliveIntervalS: d.serverAliveIntervalS,
    serverAliveCountMax: d.serverAliveCountMax,
    restartInitialMs: d.restartInitialMs,
    restartMaxMs: d.restartMaxMs,
    killGraceMs: tunables.killGraceMs,
  };
}

const STDERR_KEEP = 2048;

/**
 * Runs `ssh ARGS` with an argument array (never a shell), in its own process group so that a
 * terminal's Ctrl-C reaches only the daemon, which stops the master itself once its rsyncs are
 * done (as rsync-run.ts does for rsync). Keeps the tail of its stderr.
 */
export function spawnSsh(args: readonly string[]): MasterProcess {
  const sub = execa('ssh', args, { reject: false, buffer: false, detached: true, stdin: 'ignore', stdout: 'ignore', stderr: 'pipe' });
  let err = '';
  sub.stderr?.setEncoding('utf8');
  sub.stderr?.on('data', (chunk: string) => {
    err = (err + chunk).slice(-STDERR_KEEP);
  });
  const exited = sub.then((r): MasterExit => {
    const x: MasterExit = { stderrTail: err.trim() };
    if (r.exitCode !== undefined) x.exitCode = r.exitCode;
    if (r.signal !== undefined) x.signal = r.signal;
    if (r.exitCode === undefined && r.signal === undefined) x.spawnError = `cannot run ssh: ${r.originalMessage ?? r.shortMessage ?? 'it did not start'}`;
    return x;
  });
  return { pid: sub.pid, exited };
}

const realFs: MasterFs = {
  makeDir: () => makeRuntimeDir(),
  exists: (p) => existsSync(p),
  unlink: (p) => rmSync(p, { force: true }),
  removeDir: (dir) => removeRuntimeDir(dir),
};

function lastLine(text: string): string {
  return text.split('\n').map((l) => l.replace(/\r$/, '').trim()).filter((l) => l !== '').at(-1) ?? '';
}
