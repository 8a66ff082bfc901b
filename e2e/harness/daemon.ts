import type { NodeSession } from './node.js';

export interface DaemonSpec {
  /** Config file on the node. */
  readonly configPath: string;
  /** Log file on the node (appended to; survives restarts). */
  readonly logPath: string;
  /** Full argv; default `node <projectDir>/dist/cli/main.js run --config <configPath>`. */
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * The livemirror daemon on one node, driven the way an operator would: started in the background
 * over ssh with its output in a log file, signalled by pid.
 *
 * Contract: one instance tracks one process at a time (`pid` changes on restart); methods are
 * not meant to run concurrently on the same instance. `stop` and `kill` resolve once the
 * process is gone (they throw if it outlives its deadline); both are no-ops once it has exited.
 */
export class DaemonProcess {
  private constructor(
    private readonly node: NodeSession,
    readonly spec: DaemonSpec,
    private currentPid: number,
  ) {}

  static async start(node: NodeSession, spec: DaemonSpec): Promise<DaemonProcess> {
    const pid = await node.spawnBackground(DaemonProcess.argvFor(node, spec), {
      logFile: spec.logPath,
      ...(spec.env ? { env: spec.env } : {}),
    });
    return new DaemonProcess(node, spec, pid);
  }

  static argvFor(node: NodeSession, spec: DaemonSpec): readonly string[] {
    return spec.argv ?? ['node', `${node.info.projectDir}/dist/cli/main.js`, 'run', '--config', spec.configPath];
  }

  get pid(): number {
    return this.currentPid;
  }

  get nodeName(): string {
    return this.node.name;
  }

  alive(): Promise<boolean> {
    return this.node.isAlive(this.currentPid);
  }

  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. Resolves whether it exited on TERM. */
  async stop(graceMs = 10_000): Promise<{ graceful: boolean }> {
    if (!(await this.alive())) return { graceful: true };
    await this.node.signal(this.currentPid, 'TERM').catch(() => undefined);
    if (await this.node.waitExit(this.currentPid, graceMs)) return { graceful: true };
    await this.kill();
    return { graceful: false };
  }

  /** kill -9, then wait until the process is gone. */
  async kill(): Promise<void> {
    if (!(await this.alive())) return;
    await this.node.signal(this.currentPid, 'KILL').catch(() => undefined);
    if (!(await this.node.waitExit(this.currentPid, 5000))) {
      throw new Error(`${this.node.name}: daemon pid ${this.currentPid} survived SIGKILL`);
    }
  }

  /** Freeze (SIGSTOP) / thaw (SIGCONT): a hung daemon. */
  async pause(): Promise<void> {
    await this.node.signal(this.currentPid, 'STOP');
  }

  async resume(): Promise<void> {
    await this.node.signal(this.currentPid, 'CONT');
  }

  /** Starts it again with the same spec (after stop or kill); the pid changes. */
  async start(): Promise<void> {
    if (await this.alive()) throw new Error(`${this.node.name}: daemon pid ${this.currentPid} is still running`);
    this.currentPid = await this.node.spawnBackground(DaemonProcess.argvFor(this.node, this.spec), {
      logFile: this.spec.logPath,
      ...(this.spec.env ? { env: this.spec.env } : {}),
    });
  }

  /** The last `lines` lines of its log. */
  logTail(lines = 40): Promise<string> {
    return this.node.tail(this.spec.logPath, lines);
  }

  /** The whole log. */
  async log(): Promise<string> {
    return (await this.node.readFile(this.spec.logPath)).toString('utf8');
  }
}

/** For awaitConverged's `explain`: each node's daemon log tail (or a note that it has none). */
export function explainWithLogs(daemons: readonly DaemonProcess[], lines = 30): (node: { name: string }) => Promise<string> {
  return async (node) => {
    const d = daemons.find((x) => x.nodeName === node.name);
    if (!d) return '(no daemon on this node)';
    const state = (await d.alive().catch(() => false)) ? `running, pid ${d.pid}` : `NOT running (last pid ${d.pid})`;
    return `daemon ${state}; last ${lines} log lines of ${d.spec.logPath}:\n${await d.logTail(lines)}`;
  };
}
