/**
 * What every scenario shares: bring a topology up, drive daemons on its nodes as an operator
 * would (config file, `livemirror run`, `livemirror status --json`), record figures, and always
 * tear down. Each scenario is a zx script that calls `scenario(...)` once; it prints a short
 * report, writes `e2e/results/<name>.json` and exits 0 (pass) or 1 (fail).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { chalk } from 'zx';
import type { DaemonStatus } from '../../src/core/status.js';
import type { Cluster } from '../harness/cluster.js';
import { DaemonProcess } from '../harness/daemon.js';
import { connectAll, type NodeSession } from '../harness/node.js';
import { NetnsProvider } from '../harness/providers/netns.js';
import { topologyByName } from '../harness/topologies.js';
import { awaitConverged, type Converged } from '../harness/tree.js';

export const resultsDir = path.resolve(import.meta.dirname, '../results');

export interface ScenarioResult {
  name: string;
  passed: boolean;
  durationMs: number;
  figures: Record<string, number | string>;
  checks: { what: string; ok: boolean; detail?: string }[];
  error?: string;
}

/** The config of one replica, as it goes into the daemon's YAML on a node. */
export type ReplicaConfig = Record<string, unknown> & { target: string };

export class Scenario {
  readonly figures: Record<string, number | string> = {};
  readonly checks: ScenarioResult['checks'] = [];
  private readonly daemons = new Map<string, DaemonProcess>();

  constructor(
    readonly name: string,
    readonly cluster: Cluster,
    private readonly sessions: Map<string, NodeSession>,
  ) {}

  node(name: string): NodeSession {
    const s = this.sessions.get(name);
    if (!s) throw new Error(`no node ${name} (have ${[...this.sessions.keys()].join(', ')})`);
    return s;
  }

  nodes(...names: string[]): NodeSession[] {
    return names.map((n) => this.node(n));
  }

  log(line: string): void {
    console.log(`  ${chalk.dim(`[${this.name}]`)} ${line}`);
  }

  figure(key: string, value: number | string): void {
    this.figures[key] = typeof value === 'number' ? Math.round(value * 10) / 10 : value;
    this.log(`${key}: ${this.figures[key]}`);
  }

  /** Records a check; throws (failing the scenario) when it does not hold. */
  check(what: string, ok: boolean, detail?: string): void {
    this.checks.push({ what, ok, ...(detail === undefined ? {} : { detail }) });
    this.log(`${ok ? chalk.green('ok') : chalk.red('FAIL')} ${what}${detail ? ` (${detail})` : ''}`);
    if (!ok) throw new Error(`check failed: ${what}${detail ? ` (${detail})` : ''}`);
  }

  /** ssh replica of `to`, as seen from any node (credentials the harness laid out). */
  sshReplica(to: string, extra: Record<string, unknown> = {}): ReplicaConfig {
    const peer = this.node(to).info.peer;
    return { target: `${to}:${this.node(to).info.dataDir}`, identityFile: peer.identityFile, knownHostsFile: peer.knownHostsFile, ...extra };
  }

  /** rsync daemon replica of `to` (module with auth). */
  daemonReplica(to: string, extra: Record<string, unknown> = {}): ReplicaConfig {
    const peer = this.node(to).info.peer;
    return { target: `rsync://${peer.rsyncUser}@${to}/${peer.rsyncModule}`, passwordFile: peer.rsyncPasswordFile, ...extra };
  }

  /** Writes the config to /root/livemirror.yaml on `on` and starts the daemon there. */
  async startDaemon(on: string, replicas: ReplicaConfig[], extra: Record<string, unknown> = {}): Promise<DaemonProcess> {
    const node = this.node(on);
    const configPath = '/root/livemirror.yaml';
    const config = { source: node.info.dataDir, replicas, logFormat: 'json', ...extra };
    await node.writeFile(configPath, stringify(config));
    const d = await DaemonProcess.start(node, { configPath, logPath: '/root/livemirror.log' });
    this.daemons.set(on, d);
    return d;
  }

  daemon(on: string): DaemonProcess {
    const d = this.daemons.get(on);
    if (!d) throw new Error(`no daemon started on ${on}`);
    return d;
  }

  /** `livemirror status --json` on the node, as an operator would ask. */
  async status(on: string): Promise<DaemonStatus> {
    const node = this.node(on);
    const out = await node.run(['node', `${node.info.projectDir}/dist/cli/main.js`, 'status', '--json'], { timeoutMs: 15_000 });
    return JSON.parse(out) as DaemonStatus;
  }

  /** Waits (bounded) until the daemon on `on` reports ready. */
  async awaitReady(on: string, deadlineMs = 60_000): Promise<DaemonStatus> {
    const t0 = Date.now();
    let last = '';
    for (let i = 0; i < 1000 && Date.now() - t0 < deadlineMs; i++) {
      const s = await this.status(on).catch((e: unknown) => ((last = String(e)), undefined));
      if (s?.ready) return s;
      if (!(await this.daemon(on).alive())) throw new Error(`daemon on ${on} exited:\n${await this.daemon(on).logTail(30)}`);
      await sleep(200);
    }
    throw new Error(`daemon on ${on} not ready after ${deadlineMs} ms (${last})\n${await this.daemon(on).logTail(30)}`);
  }

  /** Oracle: every named node's data tree identical, within the deadline; explains with logs. */
  converged(names: string[], deadlineMs: number): Promise<Converged> {
    return awaitConverged(this.nodes(...names), {
      deadlineMs,
      explain: async (n) => {
        const d = this.daemons.get(n.name);
        return d ? `daemon log:\n${await d.logTail(25)}` : '(no daemon on this node)';
      },
    });
  }

  /** Copies every daemon's log off its node (its /root is private and gone after down()). */
  async saveDaemonLogs(dir: string): Promise<void> {
    mkdirSync(dir, { recursive: true });
    for (const [on, d] of this.daemons) {
      const log = await this.node(on).readFile(d.spec.logPath).catch(() => undefined);
      if (log) writeFileSync(path.join(dir, `${on}-livemirror.log`), log);
    }
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.daemons.values()].map((d) => d.stop(15_000).catch(() => undefined)));
  }
}

/** Where the daemon on a node serves its status (its default as root: /run is the node's own). */
export const STATUS_SOCKET = '/run/livemirror.sock';

/**
 * The daemon's status straight from its socket (what `livemirror status --json` fetches), with
 * curl: the CLI costs ~0.7 s of CPU per call here (2 CPUs shared by the nodes), which at several
 * samples a second would slow down the very replication whose lag it samples.
 */
export async function statusViaSocket(node: NodeSession): Promise<DaemonStatus> {
  const out = await node.run(['curl', '-sS', '--max-time', '5', '--unix-socket', STATUS_SOCKET, 'http://localhost/status'], { timeoutMs: 10_000 });
  return JSON.parse(out) as DaemonStatus;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs one scenario on a fresh cluster of `topology`: brings it up, runs `body`, always stops the
 * daemons and tears the cluster down, prints PASS/FAIL with the figures, writes the JSON result
 * and sets the exit code. Needs root (network namespaces).
 */
export async function scenario(name: string, topology: string, body: (s: Scenario) => Promise<void>): Promise<void> {
  const t0 = Date.now();
  console.log(chalk.bold(`\n▶ ${name}`));
  const provider = new NetnsProvider();
  let cluster: Cluster | undefined;
  let s: Scenario | undefined;
  let error: string | undefined;
  const onSignal = () => {
    void (async () => {
      await s?.stopAll();
      await cluster?.down();
      process.exit(130);
    })();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    cluster = await provider.up(topologyByName(topology));
    const sessions = await connectAll(cluster.nodes);
    s = new Scenario(name, cluster, new Map(sessions.map((n) => [n.name, n])));
    await body(s);
  } catch (e) {
    error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  } finally {
    await s?.stopAll();
    if (error !== undefined) await s?.saveDaemonLogs(path.join(resultsDir, `${name}-logs`)).catch(() => undefined);
    if (cluster) {
      if (error !== undefined) await cluster.saveServiceLogs(path.join(resultsDir, `${name}-logs`)).catch(() => undefined);
      await cluster.down();
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const result: ScenarioResult = {
    name,
    passed: error === undefined,
    durationMs: Date.now() - t0,
    figures: s?.figures ?? {},
    checks: s?.checks ?? [],
    ...(error === undefined ? {} : { error }),
  };
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(path.join(resultsDir, `${name}.json`), JSON.stringify(result, null, 2));
  if (error !== undefined) console.log(chalk.red(`\n${error}`));
  console.log(
    `${result.passed ? chalk.green('PASS') : chalk.red('FAIL')} ${name} in ${(result.durationMs / 1000).toFixed(1)} s` +
      (Object.keys(result.figures).length ? `: ${Object.entries(result.figures).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''),
  );
  console.log(`${result.passed ? 1 : 0} passed, ${result.passed ? 0 : 1} failed`);
  process.exitCode = result.passed ? 0 : 1;
}
