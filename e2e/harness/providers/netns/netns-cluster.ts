import { type Cluster, type DiskFill, findNode, type NodeInfo, type ProcessSignal, type RateLimit, type Topology } from '../../cluster.js';
import * as faults from './faults.js';
import { NODE_HOME, nodeDir } from './layout.js';
import { clusterNamespaces } from './leftovers.js';
import { nsenterArgv } from './nsenter.js';
import type { ProcRef } from '../shared/proc.js';
import { copyServiceLogs } from '../shared/service-logs.js';
import type { NetnsState, NodeRecord } from './state.js';
import { teardown } from './teardown.js';

/** A cluster made of network namespaces, described by its state (see state.ts). */
export class NetnsCluster implements Cluster {
  readonly topology: Topology;
  readonly nodes: readonly NodeInfo[];
  private downDone: Promise<void> | undefined;

  constructor(
    private readonly state: NetnsState,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.topology = state.topology;
    this.nodes = state.nodes.map((n) => n.info);
  }

  /** Every process the cluster is made of (pid + start time), for leftover checks. */
  processes(): ProcRef[] {
    const refs = [this.state.switch, ...this.state.nodes.flatMap((n) => [n.holder, n.init])];
    return refs.filter((r): r is ProcRef => r !== undefined);
  }

  /** The cluster's namespace identities (while it runs), for leftover checks. */
  namespaces(): string[] {
    return clusterNamespaces(this.state);
  }

  node(name: string): NodeInfo {
    return findNode(this.nodes, name);
  }

  down(): Promise<void> {
    this.downDone ??= teardown(this.state, this.log).then((r) => {
      if (r.survivors.length) {
        throw new Error(`netns: processes survived teardown: ${r.survivors.map((s) => s.pid).join(', ')}`);
      }
    });
    return this.downDone;
  }

  async signal(node: string, pid: number, signal: ProcessSignal): Promise<void> {
    await faults.signalProcess(this.init(node), pid, signal);
  }

  async disconnect(node: string): Promise<void> {
    await faults.setPort(this.switchPid(), this.record(node).index, false);
  }

  async reconnect(node: string): Promise<void> {
    await faults.setPort(this.switchPid(), this.record(node).index, true);
  }

  async partition(a: string, b: string): Promise<void> {
    await this.block(a, b, true);
  }

  async heal(a: string, b: string): Promise<void> {
    await this.block(a, b, false);
  }

  async limitRate(node: string, limit: RateLimit): Promise<void> {
    await faults.setRate(this.init(node), this.switchPid(), this.record(node).index, limit);
  }

  async clearRateLimit(node: string): Promise<void> {
    await faults.setRate(this.init(node), this.switchPid(), this.record(node).index, undefined);
  }

  fillDisk(node: string): Promise<DiskFill> {
    return faults.fillDisk(this.init(node));
  }

  async freeDisk(node: string): Promise<void> {
    await faults.freeDisk(this.init(node));
  }

  shellArgv(node: string): string[] {
    return nsenterArgv(this.init(node), 'node', ['env', `HOME=${NODE_HOME}`, '/bin/bash', '-l'], NODE_HOME);
  }

  saveServiceLogs(dir: string): Promise<string[]> {
    return copyServiceLogs(this.nodes.map((n) => n.name), nodeDir, dir);
  }

  private async block(a: string, b: string, blocked: boolean): Promise<void> {
    if (a === b) throw new Error(`cannot partition ${a} from itself`);
    const ra = this.record(a);
    const rb = this.record(b);
    await Promise.all([
      faults.setBlocked(this.init(a), rb.info.address, blocked),
      faults.setBlocked(this.init(b), ra.info.address, blocked),
    ]);
  }

  private record(name: string): NodeRecord {
    const r = this.state.nodes.find((n) => n.info.name === name);
    if (!r) findNode(this.nodes, name);
    return r as NodeRecord;
  }

  private init(name: string): number {
    const pid = this.record(name).init?.pid;
    if (pid === undefined) throw new Error(`${name}: node has no init process`);
    return pid;
  }

  private switchPid(): number {
    const pid = this.state.switch?.pid;
    if (pid === undefined) throw new Error('netns: no switch');
    return pid;
  }
}
