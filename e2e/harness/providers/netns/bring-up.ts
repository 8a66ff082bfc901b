import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Topology } from '../../cluster.js';
import { type Holder, spawnNodeHolder, spawnSwitchHolder, writeHolderScripts } from './holder.js';
import { knownHostsLines, makeSecrets, type NetPlan, renderHarnessFiles, renderMountedFiles, renderNodeFiles, writeFiles } from '../shared/node-files.js';
import { nodeInfo, withKeys } from '../shared/node-info.js';
import { childrenOf, procRef } from '../shared/proc.js';
import { CLUSTER_DIR, HARNESS_ADDRESS, HARNESS_KEY_DIR, PREFIX_LEN, SUBNET_PREFIX, nodeAddress, nodeDir } from './layout.js';
import { wireNetwork } from './network.js';
import { type NetnsState, saveState } from './state.js';

const READY_MS = 10_000;

const NET: NetPlan = { subnet: `${SUBNET_PREFIX}.0/${PREFIX_LEN}`, harnessAddress: HARNESS_ADDRESS };

/** What the node's init applies to its eth0 once it exists (`ip -batch`). */
function netBatch(address: string): string {
  return ['link set lo up', `addr add ${address}/${PREFIX_LEN} dev eth0`, 'link set eth0 up'].join('\n') + '\n';
}

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
      await writeFiles(nodeDir(a.name), renderMountedFiles(addrs, NET));
    }),
  );
  const size = topology.dataSizeMiB ?? 256;
  const sw = spawnSwitchHolder();
  state.switch = procRef(sw.pid);
  const holders: Holder[] = addrs.map((a) => spawnNodeHolder(a.name, nodeDir(a.name), size, a.address));
  const holderRefs = holders.map((h) => procRef(h.pid));
  state.nodes = addrs.map((a, index) => ({
    info: nodeInfo(topology.nodes[index] ?? { name: a.name }, a.address, { host: a.address, port: 22, keyDir: HARNESS_KEY_DIR }),
    index,
    holder: holderRefs[index],
    init: undefined,
  }));
  saveState(state);

  // 2. Meanwhile: keys, sshd/rsyncd configs, client credentials.
  const secrets = makeSecrets(addrs.map((a) => a.name));
  await writeFiles(HARNESS_KEY_DIR, renderHarnessFiles(addrs, secrets));
  await Promise.all(
    addrs.map((a) =>
      writeFiles(nodeDir(a.name), [...renderNodeFiles(a, addrs, secrets, NET), { path: 'net.batch', content: netBatch(a.address), mode: 0o644 }]),
    ),
  );
  const known = knownHostsLines(addrs, secrets);
  state.nodes = state.nodes.map((n) => ({ ...n, info: withKeys(n.info, secrets.harness.privateKey, known.get(n.info.name) ?? '') }));
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
