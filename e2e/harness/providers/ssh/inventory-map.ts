import type { Inventory, InventoryNode } from '../../../../vagrant/inventory-format.js';
import type { NodeInfo, NodeSpec, Topology } from '../../cluster.js';
import { NODE_HOME } from '../shared/layout.js';
import { lookupName, parseKnownHosts, patternsMatch } from '../../../../src/replicate/ssh/known-hosts.js';

/**
 * Which inventory host plays which node of a topology (pure).
 *  - by name: every node name of the topology is a host of the inventory (a Vagrant cluster
 *    made with LM_SHAPE, the netns-hosts self-test);
 *  - first N: no node name of the topology is in the inventory (e.g. bsd1, deb1..deb4): the first
 *    N hosts, in inventory order, play the N nodes, and the provider makes the topology's names
 *    resolve on every host (aliases in /etc/hosts and root's known_hosts, removed by down()).
 * Some names present and some not is an error (which host would play web2?), as is an inventory
 * with fewer hosts than the topology has nodes.
 */
export interface HostMapping {
  readonly mode: 'name' | 'first';
  readonly pairs: readonly { readonly spec: NodeSpec; readonly host: InventoryNode }[];
}

export function mapInventory(inv: Inventory, topology: Topology, source: string): HostMapping {
  const want = topology.nodes;
  const byName = new Map(inv.nodes.map((n) => [n.name, n]));
  const present = want.filter((s) => byName.has(s.name));
  const hostList = inv.nodes.map((n) => n.name).join(', ');
  if (present.length === want.length) {
    return { mode: 'name', pairs: want.map((spec) => ({ spec, host: byName.get(spec.name) as InventoryNode })) };
  }
  if (present.length > 0) {
    const missing = want.filter((s) => !byName.has(s.name)).map((s) => s.name);
    throw new Error(
      `inventory ${source}: topology '${topology.name}' needs ${want.map((s) => s.name).join(', ')}; the inventory has ` +
        `${present.map((s) => s.name).join(', ')} but not ${missing.join(', ')} (hosts: ${hostList}). Name the hosts after ` +
        `the topology's nodes, or give it none of those names (then the first ${want.length} hosts play them)`,
    );
  }
  if (inv.nodes.length < want.length) {
    throw new Error(
      `inventory ${source}: topology '${topology.name}' needs ${want.length} hosts (${want.map((s) => s.name).join(', ')}); ` +
        `the inventory has only ${inv.nodes.length} (${hostList})`,
    );
  }
  return { mode: 'first', pairs: want.map((spec, i) => ({ spec, host: inv.nodes[i] as InventoryNode })) };
}

/** Where the controller reaches a host's sshd. */
export function sshTarget(host: InventoryNode): { host: string; port: number } {
  return { host: host.sshHost ?? host.address, port: host.port };
}

/**
 * The known_hosts line pinning `host`'s key as the controller reaches it, from the text of its
 * knownHostsFile (hashed entries included), rebuilt as `name type base64` for the harness.
 */
export function pinnedKnownHostsLine(knownHostsText: string, host: InventoryNode, source: string): string {
  const t = sshTarget(host);
  const name = lookupName(t.host, t.port);
  const entry = parseKnownHosts(knownHostsText).find((e) => e.marker === undefined && patternsMatch(e.patterns, name));
  if (!entry) throw new Error(`inventory ${source}: ${host.knownHostsFile ?? '(no knownHostsFile)'} pins no host key for ${host.name} as ${name}`);
  return `${name} ${entry.keyType} ${entry.key.toString('base64')}`;
}

/** Paths on every host for node-to-node access (what an inventory host must offer; vagrant/README.md). */
export const PEER_HOME = NODE_HOME;

/** The NodeInfo a scenario sees for topology node `spec` played by inventory host `host`. */
export function nodeInfoFor(spec: NodeSpec, host: InventoryNode, keys: { privateKey: string; knownHostsLine: string }): NodeInfo {
  const t = sshTarget(host);
  return {
    name: spec.name,
    role: spec.role,
    address: host.address,
    ssh: {
      host: t.host,
      port: t.port,
      user: host.user,
      privateKey: keys.privateKey,
      privateKeyPath: host.identityFile,
      knownHostsLine: keys.knownHostsLine,
      knownHostsPath: host.knownHostsFile ?? '',
    },
    dataDir: host.dataDir,
    projectDir: host.projectDir,
    peer: {
      sshUser: 'root',
      identityFile: `${PEER_HOME}/.ssh/id_ed25519`,
      knownHostsFile: `${PEER_HOME}/.ssh/known_hosts`,
      sshConfigFile: `${PEER_HOME}/.ssh/config`,
      rsyncUser: host.rsyncUser,
      rsyncModule: host.rsyncModule,
      rsyncPort: host.rsyncPort,
      rsyncPasswordFile: host.rsyncPasswordFile,
    },
  };
}
