import { readdirSync, readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { ContainerRuntimeClient } from 'testcontainers';
import { type Cluster, type DiskFill, findNode, type NodeInfo, type ProcessSignal, type RateLimit, type Topology } from '../../cluster.js';
import { fillDisk, freeDisk, type NodeRun } from '../shared/disk-fill.js';
import { NODE_HOME, NODE_RUN_DIR } from '../shared/layout.js';
import { copyServiceLogs } from '../shared/service-logs.js';
import { stopEngine } from './engine.js';
import { withTimeout } from './image.js';
import { nodeDir } from './layout.js';
import { blockScript, downScript, isAbsentError, unblockArgv, upScript } from '../shared/nft.js';
import { clearArgs, ifaceByIndex, isNoQdiscError, tbfArgs } from './rate.js';
import type { ContainerNode, ContainersState } from './state.js';
import { teardown } from './teardown.js';

const EXEC_MS = 20_000;

/**
 * A cluster of containers, described by its state (state.ts). Faults act out of band through
 * the engine (exec as root in the node, which has NET_ADMIN), never through the node's network:
 * signals with `kill`, host down and partitions with nft tables of the node's own (nft.ts), rate
 * limits with tbf on both ends of the node's veth (the machine's end needs a local engine),
 * disk full on the node's data tmpfs.
 */
export class ContainersCluster implements Cluster {
  readonly topology: Topology;
  readonly nodes: readonly NodeInfo[];
  private downDone: Promise<void> | undefined;

  constructor(
    private readonly client: ContainerRuntimeClient,
    private readonly state: ContainersState,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.topology = state.topology;
    this.nodes = state.nodes.map((n) => n.info);
  }

  node(name: string): NodeInfo {
    return findNode(this.nodes, name);
  }

  down(): Promise<void> {
    this.downDone ??= (async () => {
      await teardown(this.client, this.state, this.log);
      await stopEngine();
    })();
    return this.downDone;
  }

  /** Runs argv as root in the node through the engine; never throws for a non-zero exit. */
  run(node: string, argv: readonly string[]): ReturnType<NodeRun> {
    const id = this.containerId(node);
    return withTimeout(
      this.client.container.exec(this.client.container.getById(id), [...argv], { user: 'root' }).then((r) => ({
        exitCode: r.exitCode,
        stdout: r.stdout,
        stderr: r.stderr,
      })),
      EXEC_MS,
      `exec ${argv.join(' ')} on ${node}`,
    );
  }

  private async must(node: string, argv: readonly string[]): Promise<string> {
    const r = await this.run(node, argv);
    if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} on ${node} failed: exit ${r.exitCode}: ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Applies an nft script in the node: written into its directory on the machine, read there by `nft -f`. */
  private async nft(node: string, script: string): Promise<void> {
    const name = `fault-${process.pid}-${Date.now()}.nft`;
    const file = path.join(nodeDir(node), name);
    await writeFile(file, script, { mode: 0o600 });
    try {
      await this.must(node, ['nft', '-f', `${NODE_RUN_DIR}/${name}`]);
    } finally {
      await rm(file, { force: true });
    }
  }

  async signal(node: string, pid: number, signal: ProcessSignal): Promise<void> {
    if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
    await this.must(node, ['kill', '-s', signal, String(pid)]);
  }

  async disconnect(node: string): Promise<void> {
    await this.nft(node, downScript());
  }

  async reconnect(node: string): Promise<void> {
    await this.nft(node, upScript());
  }

  async partition(a: string, b: string): Promise<void> {
    await this.block(a, b, true);
  }

  async heal(a: string, b: string): Promise<void> {
    await this.block(a, b, false);
  }

  async limitRate(node: string, limit: RateLimit): Promise<void> {
    const host = await this.hostSideOf(node);
    await this.must(node, tbfArgs('eth0', limit));
    await execa(tbfArgs(host, limit)[0] as string, tbfArgs(host, limit).slice(1), { timeout: EXEC_MS });
  }

  async clearRateLimit(node: string): Promise<void> {
    const host = await this.hostSideOf(node);
    const inside = await this.run(node, clearArgs('eth0'));
    if (inside.exitCode !== 0 && !isNoQdiscError(inside.stderr)) throw new Error(`tc qdisc del dev eth0 on ${node}: ${inside.stderr}`);
    const [cmd, ...args] = clearArgs(host);
    const outside = await execa(cmd as string, args, { timeout: EXEC_MS, reject: false });
    if (outside.exitCode !== 0 && !isNoQdiscError(String(outside.stderr))) throw new Error(`tc qdisc del dev ${host}: ${String(outside.stderr)}`);
  }

  fillDisk(node: string): Promise<DiskFill> {
    return fillDisk((argv) => this.run(node, argv));
  }

  async freeDisk(node: string): Promise<void> {
    await freeDisk((argv) => this.run(node, argv));
  }

  shellArgv(node: string): string[] {
    const name = this.record(node).container;
    const engine = this.state.engine;
    const cli = engine.cli === 'docker' ? ['docker', '-H', engine.host] : ['podman'];
    return [...cli, 'exec', '-it', '-w', NODE_HOME, '-e', `HOME=${NODE_HOME}`, name, '/bin/bash', '-l'];
  }

  saveServiceLogs(dir: string): Promise<string[]> {
    return copyServiceLogs(this.nodes.map((n) => n.name), nodeDir, dir);
  }

  private async block(a: string, b: string, blocked: boolean): Promise<void> {
    if (a === b) throw new Error(`cannot partition ${a} from itself`);
    const pairs: [string, string][] = [
      [a, this.record(b).info.address],
      [b, this.record(a).info.address],
    ];
    await Promise.all(
      pairs.map(async ([node, peer]) => {
        if (blocked) return this.nft(node, blockScript(peer));
        const r = await this.run(node, unblockArgv(peer));
        // Removing what is not there is fine (heal is idempotent); anything else is not.
        if (r.exitCode !== 0 && !isAbsentError(r.stderr)) throw new Error(`nft delete element ${peer} on ${node}: ${r.stderr}`);
      }),
    );
  }

  /**
   * The machine's end of the node's veth (what shapes the node's ingress). Only a local engine
   * with the node's veth in this machine's network namespace has one (rootful podman, Docker on
   * Linux); elsewhere (Docker Desktop, a remote DOCKER_HOST, rootless podman) this throws.
   */
  private async hostSideOf(node: string): Promise<string> {
    const peer = Number((await this.must(node, ['cat', '/sys/class/net/eth0/iflink'])).trim());
    const ifaces = new Map<string, string>();
    for (const name of readdirSync('/sys/class/net')) {
      try {
        ifaces.set(name, readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
      } catch {
        // gone meanwhile
      }
    }
    const host = ifaceByIndex(ifaces, peer);
    if (!host) {
      throw new Error(
        `containers: limitRate on ${node} needs the machine's end of its veth (ifindex ${peer}), which is not in this network namespace: ` +
          `the engine (${this.state.engine.host}) is not a local rootful one, so the node's ingress cannot be shaped here`,
      );
    }
    return host;
  }

  private record(name: string): ContainerNode {
    const r = this.state.nodes.find((n) => n.info.name === name);
    if (!r) findNode(this.nodes, name);
    return r as ContainerNode;
  }

  private containerId(name: string): string {
    const r = this.record(name);
    return r.id ?? r.container;
  }
}
