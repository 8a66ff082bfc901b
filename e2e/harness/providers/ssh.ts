import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type Inventory, parseInventory } from '../../../vagrant/inventory-format.js';
import type { Cluster, ClusterProvider, Topology, UpOptions } from '../cluster.js';
import { validateTopology } from '../topologies.js';
import { SshHost } from './ssh/host.js';
import { mapInventory, nodeInfoFor, pinnedKnownHostsLine } from './ssh/inventory-map.js';
import { removeAliases, setAliases, SshCluster } from './ssh/ssh-cluster.js';
import { loadState, removeState, saveState, type SshState } from './ssh/state.js';

export { SshCluster } from './ssh/ssh-cluster.js';

/**
 * Clusters of hosts that already exist — Vagrant VMs, a lab, cloud machines — listed in an ssh
 * inventory (vagrant/inventory-format.ts; `npm run e2e -- --provider ssh --inventory FILE`).
 *
 * up() maps the topology's nodes onto the inventory's hosts (by name, or the first N with the
 * topology's names made to resolve on every host: ssh/inventory-map.ts), connects to each as root
 * with its pinned host key, checks it (project built, node runs, data dir, rsync daemon), then
 * resets it: stops what an earlier run of the harness started there (by pid and start time,
 * recorded on the host by spawnBackground), removes faults an earlier run left (our nft table /
 * pf anchor, tc shaping, fill files) and empties the data dir. Faults use the host's own tools
 * (faults/host-faults.ts). The hosts outlive the cluster: down() stops the harness's processes and
 * removes its faults, nothing else. State: ssh/state.ts. One cluster per controller at a time.
 */
export class SshProvider implements ClusterProvider {
  readonly name = 'ssh';

  constructor(private readonly inventoryPath: string | undefined) {}

  async up(topology: Topology, options: UpOptions = {}): Promise<Cluster> {
    // E2E_SSH_LOG=1: timings on stderr even when the caller passes no log (scenarios do not).
    const log = options.log ?? (process.env.E2E_SSH_LOG === '1' ? (l: string) => process.stderr.write(`${l}\n`) : () => undefined);
    validateTopology(topology);
    if (!this.inventoryPath) throw new Error('the ssh provider needs an inventory: --inventory FILE (or E2E_INVENTORY=FILE); format: vagrant/README.md');
    await this.cleanup(options);
    const t0 = performance.now();
    const source = path.resolve(this.inventoryPath);
    const inv = await readInventory(source);
    const mapping = mapInventory(inv, topology, source);
    const state: SshState = {
      version: 1,
      ownerPid: process.pid,
      createdAt: new Date().toISOString(),
      inventory: source,
      topology,
      mode: mapping.mode,
      phase: 'starting',
      nodes: mapping.pairs.map((p) => ({ name: p.spec.name, host: p.host.name, facts: undefined })),
    };
    const hosts = await makeHosts(inv, source, state);
    saveState(state);
    const cluster = new SshCluster(state, hosts, log);
    try {
      const failures: string[] = [];
      await Promise.all(
        hosts.map(async (h, i) => {
          try {
            const facts = await h.check();
            const rec = state.nodes[i];
            if (rec) rec.facts = facts;
            await h.stopSpawned();
            await h.faults().reset();
            await h.emptyDataDir();
          } catch (e) {
            failures.push((e as Error).message);
          }
        }),
      );
      if (failures.length) throw new Error(failures.join('\n  '));
      if (mapping.mode === 'first') await setAliases(hosts);
      state.phase = 'up';
      saveState(state);
      const how = mapping.mode === 'name' ? 'by name' : `as the first ${hosts.length} hosts (${hosts.map((h) => `${h.name}=${h.inv.name}`).join(', ')})`;
      log(`ssh: ${hosts.length} hosts of ${source} up for '${topology.name}' ${how} in ${(performance.now() - t0).toFixed(0)} ms`);
      return cluster;
    } catch (e) {
      await cluster.down().catch(() => undefined);
      throw new Error(`ssh: bringing up '${topology.name}' on ${source} failed:\n  ${(e as Error).message}`, { cause: e });
    }
  }

  async attach(): Promise<Cluster | undefined> {
    const state = loadState();
    if (!state || state.phase !== 'up') return undefined;
    const inv = await readInventory(state.inventory);
    return new SshCluster(state, await makeHosts(inv, state.inventory, state));
  }

  async cleanup(options: UpOptions = {}): Promise<void> {
    const state = loadState();
    if (!state) return;
    options.log?.(`ssh: resetting the hosts of cluster '${state.topology.name}' (created ${state.createdAt} by pid ${state.ownerPid}, ${state.phase})`);
    let hosts: SshHost[];
    try {
      hosts = await makeHosts(await readInventory(state.inventory), state.inventory, state);
    } catch (e) {
      // The inventory changed or is gone: nothing can be reached to reset; say so and forget it.
      options.log?.(`ssh: cannot reach the recorded hosts (${(e as Error).message}); forgetting the record`);
      removeState();
      return;
    }
    await Promise.all(
      hosts.map(async (h) => {
        try {
          await h.stopSpawned();
          if (h.facts) await h.faults().reset();
          if (state.mode === 'first') await removeAliases(h);
        } finally {
          await h.close();
        }
      }),
    );
    removeState();
  }
}

async function readInventory(file: string): Promise<Inventory> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new Error(`inventory ${file}: ${(e as Error).message}`, { cause: e });
  }
  return parseInventory(text, file);
}

/** The hosts `state` names, with keys read and host keys pinned (throws naming what is missing). */
async function makeHosts(inv: Inventory, source: string, state: SshState): Promise<SshHost[]> {
  const keyCache = new Map<string, Promise<string>>();
  const readOnce = (f: string): Promise<string> => {
    if (!keyCache.has(f)) keyCache.set(f, readFile(f, 'utf8'));
    return keyCache.get(f) as Promise<string>;
  };
  return Promise.all(
    state.nodes.map(async (rec) => {
      const host = inv.nodes.find((n) => n.name === rec.host);
      const spec = state.topology.nodes.find((n) => n.name === rec.name);
      if (!host || !spec) throw new Error(`inventory ${source}: no host '${rec.host}' (for node ${rec.name})`);
      if (host.user !== 'root') throw new Error(`inventory ${source}: ${host.name} logs in as '${host.user}': the harness drives hosts as root (user: root)`);
      if (!host.knownHostsFile) throw new Error(`inventory ${source}: ${host.name} has no knownHostsFile: the harness pins every host key`);
      const privateKey = await readOnce(host.identityFile).catch((e: unknown) => {
        throw new Error(`inventory ${source}: ${host.name}: identityFile ${host.identityFile}: ${(e as Error).message}`);
      });
      const known = await readOnce(host.knownHostsFile).catch((e: unknown) => {
        throw new Error(`inventory ${source}: ${host.name}: knownHostsFile ${host.knownHostsFile}: ${(e as Error).message}`);
      });
      const info = nodeInfoFor(spec, host, { privateKey, knownHostsLine: pinnedKnownHostsLine(known, host, source) });
      return new SshHost(info, host, rec.facts);
    }),
  );
}
