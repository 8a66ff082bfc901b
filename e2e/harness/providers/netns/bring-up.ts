import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { NodeInfo, Topology } from '../../cluster.js';
import { type Holder, spawnNodeHolder, spawnSwitchHolder, writeHolderScripts } from './holder.js';
import {
  CLUSTER_DIR,
  HARNESS_KEY_DIR,
  NODE_DATA_DIR,
  NODE_HOME,
  PROJECT_DIR,
  RSYNC_MODULE,
  RSYNC_PORT,
  RSYNC_USER,
  nodeAddress,
  nodeDir,
} from './layout.js';
import { knownHostsLines, makeSecrets, renderHarnessFiles, renderMountedFiles, renderNodeFiles, writeFiles } from './node-files.js';
import { wireNetwork } from './network.js';
import { childrenOf, procRef } from './proc.js';
import { type NetnsState, saveState } from './state.js';

const READY_MS = 10_000;

/** Milliseconds spent in each phase of bring-up, for the log. */
export type Timings = Record<'files' | 'namespaces' | 'network' | 'services', number>;

/**
 * Brings the topology up, recording every process in `state` (saved before any await after its
 * spawn). On failure the caller tears down from `state`.
 */
export async function bringUp(topology: Topology, state: NetnsState): Promise<Timings> {
  const t = { start: performance.now() };
  const mark = (): number => {
    const now = performance.now();
    const d = now - t.start;
    t.start = now;
    return d;
  };

  // 1. What the holders mount (node dirs, home, hosts), then the holders themselves: the switch
  //    and every node in parallel; each pid is saved before the next await.
  const addrs = topology.nodes.map((n, i) => ({ name: n.name, address: nodeAddress(i) }));
  await mkdir(CLUSTER_DIR, { recursive: true, mode: 0o700 });
  await writeHolderScripts();
  await Promise.all(
    addrs.map(async (a) => {
      await mkdir(path.join(nodeDir(a.name), 'home'), { recursive: true, mode: 0o700 });
      await writeFiles(nodeDir(a.name), renderMountedFiles(addrs));
    }),
  );
  const size = topology.dataSizeMiB ?? 256;
  const sw = spawnSwitchHolder();
  state.switch = procRef(sw.pid);
  const holders: Holder[] = addrs.map((a) => spawnNodeHolder(a.name, nodeDir(a.name), size, a.address));
  const holderRefs = holders.map((h) => procRef(h.pid));
  state.nodes = addrs.map((a, index) => ({ info: nodeInfo(topology, index, a.address), index, holder: holderRefs[index], init: undefined }));
  saveState(state);

  // 2. Meanwhile: keys, sshd/rsyncd configs, client credentials.
  const secrets = makeSecrets(addrs.map((a) => a.name));
  await writeFiles(HARNESS_KEY_DIR, renderHarnessFiles(addrs, secrets));
  await Promise.all(addrs.map((a) => writeFiles(nodeDir(a.name), renderNodeFiles(a, addrs, secrets))));
  const known = knownHostsLines(addrs, secrets);
  state.nodes = state.nodes.map((n) => ({
    ...n,
    info: { ...n.info, ssh: { ...n.info.ssh, privateKey: secrets.harness.privateKey, knownHostsLine: known.get(n.info.name) ?? '' } },
  }));
  saveState(state);
  const files = mark();

  await Promise.all([sw.waitFor('ready', READY_MS), ...holders.map((h) => h.waitFor('ready', READY_MS))]);
  state.nodes.forEach((n, i) => {
    const holderPid = holders[i]?.pid ?? -1;
    const initPid = childrenOf(holderPid)[0];
    n.init = initPid === undefined ? undefined : procRef(initPid);
    if (!n.init) throw new Error(`${n.info.name}: no init process under holder ${holderPid}`);
  });
  saveState(state);
  const namespaces = mark();

  // 3. Network: bridge, veths, the controller's address.
  await wireNetwork(sw.pid, state.nodes.map((n) => n.init?.pid ?? -1));
  const network = mark();

  // 4. Services: each node configures eth0 + firewall table, starts sshd and rsyncd, waits for them.
  for (const h of [sw, ...holders]) h.go();
  await Promise.all([sw.waitFor('up', READY_MS), ...holders.map((h) => h.waitFor('up', READY_MS))]);
  for (const h of [sw, ...holders]) h.detach();
  state.phase = 'up';
  saveState(state);
  const services = mark();
  return { files, namespaces, network, services };
}

/** What scenarios get to know about node `index` (keys are filled in once generated). */
function nodeInfo(topology: Topology, index: number, address: string): NodeInfo {
  const spec = topology.nodes[index];
  if (!spec) throw new Error(`no node ${index}`);
  return {
    name: spec.name,
    role: spec.role,
    address,
    ssh: {
      host: address,
      port: 22,
      user: 'root',
      privateKey: '',
      privateKeyPath: path.join(HARNESS_KEY_DIR, 'id_ed25519'),
      knownHostsLine: '',
      knownHostsPath: path.join(HARNESS_KEY_DIR, 'known_hosts'),
    },
    dataDir: NODE_DATA_DIR,
    projectDir: PROJECT_DIR,
    peer: {
      sshUser: 'root',
      identityFile: `${NODE_HOME}/.ssh/id_ed25519`,
      knownHostsFile: `${NODE_HOME}/.ssh/known_hosts`,
      sshConfigFile: `${NODE_HOME}/.ssh/config`,
      rsyncUser: RSYNC_USER,
      rsyncModule: RSYNC_MODULE,
      rsyncPort: RSYNC_PORT,
      rsyncPasswordFile: `${NODE_HOME}/.rsync.password`,
    },
  };
}
