import { formatKnownHostsLine } from '../e2e/harness/known-hosts.js';
import { lookupName } from '../src/replicate/ssh/known-hosts.js';
import type { InventoryInput, InventoryOs } from './inventory-format.js';
import type { VagrantSshHost } from './ssh-config.js';

/**
 * The Vagrant cluster as an ssh inventory (pure). Inputs are what the host has after `vagrant up`:
 * vagrant/.secrets/ (nodes.tsv, the cluster key, each node's host key; made by secrets.sh) and
 * `vagrant ssh-config`'s answer. Per node: name, OS and private address from nodes.tsv; where
 * the controller reaches its sshd (HostName, Port) from ssh-config; login root with the cluster
 * key (provision-cluster.sh authorizes it: the harness drives nodes as root, as on netns — audit,
 * firewall and services need it); the node layout provision-*.sh made.
 */

export interface VagrantNode {
  readonly name: string;
  readonly os: 'freebsd' | 'debian';
  readonly address: string;
}

/** Layout on every Vagrant node (provision-*.sh, the Vagrantfile). */
export const VAGRANT_NODE_LAYOUT = {
  dataDir: '/srv/data',
  projectDir: '/opt/livemirror',
  rsyncModule: 'data',
  rsyncUser: 'livemirror',
  rsyncPort: 873,
  rsyncPasswordFile: '/root/.rsync.password',
} as const;

/** nodes.tsv: `NAME<TAB>OS<TAB>ADDRESS` per line. */
export function parseNodesTsv(text: string): VagrantNode[] {
  const nodes: VagrantNode[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const [name, os, address, ...extra] = line.split('\t');
    if (!name || !address || extra.length > 0 || (os !== 'freebsd' && os !== 'debian')) {
      throw new Error(`nodes.tsv line ${i + 1}: expected NAME<TAB>freebsd|debian<TAB>ADDRESS, got ${JSON.stringify(line)}`);
    }
    nodes.push({ name, os, address });
  }
  if (nodes.length === 0) throw new Error('nodes.tsv lists no nodes');
  return nodes;
}

export interface MakeInventoryInput {
  readonly nodes: readonly VagrantNode[];
  readonly sshHosts: readonly VagrantSshHost[];
  /** Absolute path of the cluster's private key on the controller. */
  readonly identityFile: string;
  /** Absolute path where the controller's known_hosts will be written. */
  readonly knownHostsFile: string;
  /** Each node's host public key line (`ssh-ed25519 AAAA... comment`). */
  readonly hostKeys: ReadonlyMap<string, string>;
  /** Leave out nodes Vagrant does not report (not created or not running) instead of failing. */
  readonly partial?: boolean;
}

export interface MadeInventory {
  readonly inventory: InventoryInput;
  /** The controller's known_hosts: each node by ssh endpoint, name and private address. */
  readonly knownHosts: string;
  /** Nodes left out under `partial`. */
  readonly missing: readonly string[];
}

const OS: Record<VagrantNode['os'], InventoryOs> = { freebsd: 'freebsd', debian: 'linux' };

export function makeInventory(input: MakeInventoryInput): MadeInventory {
  const byName = new Map(input.sshHosts.map((h) => [h.name, h]));
  const known = new Set(input.nodes.map((n) => n.name));
  const strangers = input.sshHosts.filter((h) => !known.has(h.name)).map((h) => h.name);
  if (strangers.length > 0) {
    throw new Error(
      `vagrant ssh-config lists ${strangers.join(', ')}, which the last 'vagrant up' did not make (nodes.tsv: ` +
        `${[...known].join(', ')}); run 'vagrant up' again with the LM_SHAPE/LM_NODES you mean`,
    );
  }
  const missing = input.nodes.filter((n) => !byName.has(n.name)).map((n) => n.name);
  if (missing.length > 0 && !input.partial) {
    throw new Error(`vagrant ssh-config has no entry for ${missing.join(', ')} (not up? 'vagrant up ${missing.join(' ')}', or --partial)`);
  }
  const present = input.nodes.filter((n) => byName.has(n.name));
  if (present.length === 0) throw new Error('no node of the cluster is up');

  const nodes = present.map((n) => {
    const h = byName.get(n.name);
    if (!h) throw new Error(`unreachable: ${n.name}`);
    if (h.proxyCommand) throw new Error(`${n.name}: Vagrant reaches it through ProxyCommand (${h.proxyCommand}); an inventory cannot say that`);
    return {
      name: n.name,
      os: OS[n.os],
      address: n.address,
      ...(h.hostName === n.address ? {} : { sshHost: h.hostName }),
      port: h.port,
      user: 'root',
      identityFile: input.identityFile,
      knownHostsFile: input.knownHostsFile,
      ...VAGRANT_NODE_LAYOUT,
      comment: `vagrant ${n.os} node`,
    };
  });

  const knownHosts = nodes.map((n) => {
    const key = input.hostKeys.get(n.name);
    if (!key) throw new Error(`no host key for ${n.name}`);
    const names = [lookupName(n.sshHost ?? n.address, n.port), n.name, n.address];
    return formatKnownHostsLine([...new Set(names)], key);
  });
  return { inventory: { version: 1, nodes }, knownHosts: knownHosts.join('\n') + '\n', missing };
}
