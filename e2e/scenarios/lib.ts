/**
 * What every scenario shares: bring a topology up, drive daemons on its nodes as an operator
 * would (config file, `livemirror run`, `livemirror status`, the node's shell through `node.$`),
 * record figures, and always tear down. Each scenario is a zx script that calls `scenario(...)`
 * once; it prints a short report, writes `e2e/results/<name>.json` and exits 0 (pass) or 1 (fail).
 *
 * The vocabulary (this file and lib/): `Scenario` (nodes, daemons, seed, ready, converged,
 * figures, checks), status reads and the sampler (lib/status.ts), the daemon's reports
 * (lib/reports.ts, `daemonReports`), the lag property and its figures (lib/lag.ts).
 * Scenarios know nodes only through the Cluster and NodeSession interfaces, never the provider.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { chalk, spinner } from 'zx';
import type { DaemonStatus } from '../../src/core/status.js';
import { churnSeed } from '../harness/churn.js';
import type { Cluster } from '../harness/cluster.js';
import { DaemonProcess } from '../harness/daemon.js';
import { connectAll, type NodeSession } from '../harness/node.js';
import { poll } from '../harness/poll.js';
import { providerFromEnv } from '../harness/providers/index.js';
import { topologyByName } from '../harness/topologies.js';
import { awaitConverged, type Converged } from '../harness/tree.js';
import { batchLogMax, lagStats, LIVE_LAG_BOUND_MS, slowBatches } from './lib/lag.js';
import { parseReports, type LoggedReport } from './lib/reports.js';
import { describeReplica, readyMs, statusViaSocket, type StatusSamples } from './lib/status.js';

export * from './lib/lag.js';
export * from './lib/reports.js';
export * from './lib/status.js';

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

  nodes<const N extends readonly string[]>(...names: N): { [K in keyof N]: NodeSession } {
    return names.map((n) => this.node(n)) as { [K in keyof N]: NodeSession };
  }

  /** The churn seed of this run (SEED=… replays one), printed and recorded as a figure. */
  seed(): string {
    const seed = churnSeed((l) => this.log(l));
    this.figure('seed', seed);
    return seed;
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

  /**
   * Writes the config to /root/livemirror.yaml on `on` and starts the daemon there.
   * E2E_LOG_LEVEL=debug (or trace) runs every daemon at that level: a mesh node then logs each
   * entry it applies and each local version it records (kept with the logs of a failed scenario).
   * E2E_WATCHER=inotify (or any --watcher name) runs every daemon on that change source; by
   * default they take `auto` (fanotify: the daemons run as root).
   */
  async startDaemon(on: string, replicas: ReplicaConfig[], extra: Record<string, unknown> = {}): Promise<DaemonProcess> {
    const node = this.node(on);
    const configPath = '/root/livemirror.yaml';
    const level = process.env.E2E_LOG_LEVEL;
    const watcher = process.env.E2E_WATCHER;
    const config = { source: node.info.dataDir, replicas, logFormat: 'json', ...(level ? { logLevel: level } : {}), ...(watcher ? { watcher } : {}), ...extra };
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

  /** `livemirror status --json` on the node, as an operator would ask (the CLI: ~0.7 s of CPU; loops use the socket). */
  async status(on: string): Promise<DaemonStatus> {
    const node = this.node(on);
    return (await node.$`node ${`${node.info.projectDir}/dist/cli/main.js`} status --json`.timeout(15_000)).json<DaemonStatus>();
  }

  /**
   * Waits (bounded) until the daemon on `on` reports ready; with `figure`, records the ms from
   * its start to ready under that name. Fails at once when the daemon exits meanwhile.
   */
  async awaitReady(on: string, opts: { deadlineMs?: number; figure?: string } = {}): Promise<DaemonStatus> {
    const deadlineMs = opts.deadlineMs ?? 60_000;
    let last = '';
    const r = await waiting(`${on}: daemon ready?`, () =>
      poll(
        async () => {
          const st = await statusViaSocket(this.node(on)).catch((e: unknown) => ((last = String(e)), undefined));
          if (!st?.ready && !(await this.daemon(on).alive())) throw new Error(`daemon on ${on} exited:\n${await this.daemon(on).logTail(30)}`);
          return { done: st?.ready === true, value: st };
        },
        { deadlineMs, maxAttempts: 2000, initialIntervalMs: 50, maxIntervalMs: 200 },
      ),
    );
    if (!r.ok || !r.value) throw new Error(`daemon on ${on} not ready after ${deadlineMs} ms (${last})\n${await this.daemon(on).logTail(30)}`);
    if (opts.figure) this.figure(opts.figure, readyMs(r.value));
    return r.value;
  }

  /** Oracle: every named node's data tree identical, within the deadline; explains with logs. */
  converged(names: string[], deadlineMs: number, opts: { exclude?: readonly RegExp[] } = {}): Promise<Converged> {
    return waiting(`converged on ${names.join(', ')}?`, () =>
      awaitConverged(this.nodes(...names), {
        deadlineMs,
        ...opts,
        explain: async (n) => {
          const d = this.daemons.get(n.name);
          if (!d) return '(no daemon on this node)';
          const st = await statusViaSocket(this.node(n.name)).catch((e: unknown) => `status unreadable: ${String(e)}`);
          const now = Date.now();
          const state = typeof st === 'string' ? st : st.replicas.map((r) => `  ${describeReplica(r, now)}`).join('\n');
          return `replicas:\n${state}\ndaemon log:\n${await d.logTail(25)}`;
        },
      }),
    );
  }

  /**
   * The property "a dead replica never delays the others": the lag of the live `replicas` of the
   * daemon on `on`, over status samples of that node taken in [from, to], stays under
   * LIVE_LAG_BOUND_MS. Records `<prefix>_p50_ms`, `_p99_ms`, `_max_ms` (status samples) and
   * `_batch_log_max_ms` (each batch's lag at its acknowledgement, from the log; sampling can miss
   * a peak), per replica too when there are several. A failure says what the replica was doing
   * at the worst sample and which batches were slow.
   */
  async checkLiveLag(opts: { what: string; on: string; replicas: readonly string[]; samples: StatusSamples; from: number; to: number; prefix: string }): Promise<void> {
    const reports = await daemonReports(this, opts.on);
    const logMax = batchLogMax(reports, opts.replicas, opts.from, opts.to);
    const all = lagStats(opts.samples, opts.replicas);
    if (opts.replicas.length > 1) {
      for (const name of opts.replicas) {
        const one = lagStats(opts.samples, [name]);
        this.figure(`${opts.prefix}_${name}_ms`, `p50 ${one.p50} p99 ${one.p99} max ${one.max} batch-log-max ${logMax.get(name) ?? 0}`);
      }
    }
    this.figure(`${opts.prefix}_p50_ms`, all.p50);
    this.figure(`${opts.prefix}_p99_ms`, all.p99);
    this.figure(`${opts.prefix}_max_ms`, all.max);
    this.figure(`${opts.prefix}_batch_log_max_ms`, Math.max(0, ...logMax.values()));
    const ok = all.max < LIVE_LAG_BOUND_MS;
    const detail = `max ${all.max} ms over ${all.n} replica samples` + (ok ? '' : `; worst: ${all.worst}\nits log: ${slowBatches(reports, [all.worstReplica ?? ''], opts.from, opts.to, LIVE_LAG_BOUND_MS)}\nall live replicas: ${slowBatches(reports, opts.replicas, opts.from, opts.to, LIVE_LAG_BOUND_MS)}`);
    this.check(`${opts.what}: lag stayed under ${LIVE_LAG_BOUND_MS} ms`, ok, detail);
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

/** The replicas' reports from the JSON log of the daemon on `on` (typed; see lib/reports.ts). */
export async function daemonReports(s: Scenario, on: string): Promise<LoggedReport[]> {
  return parseReports(await s.daemon(on).log());
}

/** zx's spinner around a long wait when a person watches (a TTY); plain otherwise (CI, logs). */
async function waiting<T>(title: string, fn: () => Promise<T>): Promise<T> {
  return process.stderr.isTTY ? await spinner(title, fn) : await fn();
}

/**
 * Runs one scenario on a fresh cluster of `topology`: brings it up, runs `body`, always stops the
 * daemons and tears the cluster down, prints PASS/FAIL with the figures, writes the JSON result
 * and sets the exit code. Needs root (network namespaces).
 */
export async function scenario(name: string, topology: string, body: (s: Scenario) => Promise<void>): Promise<void> {
  const t0 = Date.now();
  console.log(chalk.bold(`\n▶ ${name}`));
  let cluster: Cluster | undefined;
  let s: Scenario | undefined;
  let sessions: NodeSession[] = [];
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
    cluster = await (await providerFromEnv()).up(topologyByName(topology));
    sessions = await connectAll(cluster.nodes);
    s = new Scenario(name, cluster, new Map(sessions.map((n) => [n.name, n])));
    await body(s);
  } catch (e) {
    error = e instanceof Error ? (e.stack ?? e.message) : String(e);
  } finally {
    await s?.stopAll();
    if (error !== undefined) await s?.saveDaemonLogs(path.join(resultsDir, `${name}-logs`)).catch(() => undefined);
    // Closed while the nodes still answer (a clean ssh disconnect): hosts that outlive the
    // cluster (ssh provider) would keep these connections, and this process, alive otherwise.
    await Promise.all(sessions.map((n) => n.close()));
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
