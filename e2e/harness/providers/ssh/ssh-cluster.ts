import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type Cluster, type DiskFill, findNode, type NodeInfo, type ProcessSignal, type RateLimit, type Topology } from '../../cluster.js';
import type { SshHost } from './host.js';
import { PEER_HOME } from './inventory-map.js';
import { removeState, type SshState } from './state.js';

/** Service logs worth keeping from a host, where the provisioning (or netns) puts them. */
const SERVICE_LOGS = ['/var/log/rsyncd.log', '/var/log/auth.log', '/run/lm-node/sshd.log', '/run/lm-node/rsyncd.log'];

/**
 * A cluster of existing hosts (an ssh inventory). Fault operations go over the controller's own
 * ssh session to each host (disconnect keeps that session open: the console a real operator
 * would use); down() stops every process the harness started on the hosts (by pid and start
 * time), removes every fault and the name aliases, and leaves the hosts' data for inspection
 * (the next up() empties it).
 */
export class SshCluster implements Cluster {
  readonly topology: Topology;
  readonly nodes: readonly NodeInfo[];
  private downDone: Promise<void> | undefined;

  constructor(
    private readonly state: SshState,
    private readonly hosts: readonly SshHost[],
    private readonly log: (line: string) => void = () => undefined,
  ) {
    this.topology = state.topology;
    this.nodes = hosts.map((h) => h.info);
  }

  node(name: string): NodeInfo {
    return findNode(this.nodes, name);
  }

  private host(name: string): SshHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) findNode(this.nodes, name);
    return h as SshHost;
  }

  down(): Promise<void> {
    this.downDone ??= (async () => {
      const t0 = performance.now();
      const errors: string[] = [];
      const stopped: string[] = [];
      await Promise.all(
        this.hosts.map(async (h) => {
          try {
            const pids = await h.stopSpawned();
            if (pids) stopped.push(`${h.name}: ${pids}`);
            if (h.facts) await h.faults().reset();
            if (this.state.mode === 'first') await removeAliases(h);
          } catch (e) {
            errors.push((e as Error).message);
          } finally {
            await h.close();
          }
        }),
      );
      if (errors.length === 0) removeState();
      this.log(`ssh: cluster '${this.topology.name}' down in ${(performance.now() - t0).toFixed(0)} ms${stopped.length ? ` (stopped ${stopped.join('; ')})` : ''}`);
      if (errors.length) throw new Error(`ssh: down left problems: ${errors.join('; ')}`);
    })();
    return this.downDone;
  }

  async signal(node: string, pid: number, signal: ProcessSignal): Promise<void> {
    await this.checked(node).faults().signal(pid, signal);
  }

  async disconnect(node: string): Promise<void> {
    const h = this.checked(node);
    h.requireController();
    await h.faults().disconnect();
  }

  async reconnect(node: string): Promise<void> {
    await this.checked(node).faults().reconnect();
  }

  async partition(a: string, b: string): Promise<void> {
    await this.pair(a, b, (h, peer) => h.faults().partition(peer));
  }

  async heal(a: string, b: string): Promise<void> {
    await this.pair(a, b, (h, peer) => h.faults().heal(peer));
  }

  async limitRate(node: string, limit: RateLimit): Promise<void> {
    await this.checked(node).faults().limitRate(limit);
  }

  async clearRateLimit(node: string): Promise<void> {
    await this.checked(node).faults().clearRateLimit();
  }

  fillDisk(node: string): Promise<DiskFill> {
    return this.checked(node).faults().fillDisk();
  }

  async freeDisk(node: string): Promise<void> {
    await this.checked(node).faults().freeDisk();
  }

  shellArgv(node: string): string[] {
    const n = this.node(node);
    return [
      'ssh', '-t', '-i', n.ssh.privateKeyPath, '-p', String(n.ssh.port),
      '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=yes',
      ...(n.ssh.knownHostsPath ? ['-o', `UserKnownHostsFile=${n.ssh.knownHostsPath}`] : []),
      '-l', n.ssh.user, n.ssh.host,
    ];
  }

  async saveServiceLogs(dir: string): Promise<string[]> {
    const written: string[] = [];
    for (const h of this.hosts) {
      await mkdir(path.join(dir, h.name), { recursive: true });
      for (const f of SERVICE_LOGS) {
        const r = await h.runner.run(['tail', '-n', '2000', f]).catch(() => undefined);
        if (!r || r.code !== 0 || r.stdout.trim() === '') continue;
        const to = path.join(dir, h.name, path.basename(f));
        await writeFile(to, r.stdout);
        written.push(to);
      }
    }
    return written;
  }

  private async pair(a: string, b: string, f: (h: SshHost, peer: string) => Promise<void>): Promise<void> {
    if (a === b) throw new Error(`cannot partition ${a} from itself`);
    const ha = this.checked(a);
    const hb = this.checked(b);
    await Promise.all([f(ha, hb.info.address), f(hb, ha.info.address)]);
  }

  private checked(name: string): SshHost {
    const h = this.host(name);
    if (!h.facts) throw new Error(`${name}: host facts unknown (cluster not fully up)`);
    return h;
  }
}

/** The topology's names for the hosts of a first-N mapping, on every host (see inventory-map.ts). */
export async function setAliases(hosts: readonly SshHost[]): Promise<void> {
  const hostsLines = hosts.map((h) => `${h.info.address}\t${h.name}`);
  const knownLines = hosts.map((h) => {
    const [, type, key] = h.info.ssh.knownHostsLine.split(' ');
    return `${h.name},${h.info.address} ${type} ${key}`;
  });
  await Promise.all(
    hosts.map(async (h) => {
      await h.setBlock('/etc/hosts', hostsLines);
      await h.setBlock(`${PEER_HOME}/.ssh/known_hosts`, knownLines);
    }),
  );
}

export async function removeAliases(h: SshHost): Promise<void> {
  await h.setBlock('/etc/hosts', []);
  await h.setBlock(`${PEER_HOME}/.ssh/known_hosts`, []);
}
