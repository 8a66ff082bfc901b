import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { GenericContainer, type ContainerRuntimeClient, Wait } from 'testcontainers';
import type { Topology } from '../../cluster.js';
import { NODE_HOME, NODE_RUN_DIR, PROJECT_DIR } from '../shared/layout.js';
import { knownHostsLines, makeSecrets, type NetPlan, renderHarnessFiles, renderNodeFiles, writeFiles } from '../shared/node-files.js';
import { nodeInfo, withKeys } from '../shared/node-info.js';
import { withTimeout } from './image.js';
import {
  CLUSTER_DIR,
  containerName,
  GATEWAY,
  HARNESS_KEY_DIR,
  LABEL,
  LABEL_VALUE,
  NETWORK,
  NODE_BIN_IN_NODE,
  nodeAddress,
  nodeDir,
  SUBNET,
} from './layout.js';
import { NODE_INIT, UP_LINE } from './node-init.js';
import { type ContainersState, saveState } from './state.js';

const NET: NetPlan = { subnet: SUBNET, harnessAddress: GATEWAY };
const START_MS = 60_000;

/** Milliseconds spent in each phase of bring-up, for the log. */
export type Timings = Record<'files' | 'network' | 'containers', number>;

/** A GenericContainer with a fixed address on one network (testcontainers has no option for it). */
class NodeContainer extends GenericContainer {
  withAddress(network: string, address: string): this {
    this.withNetworkMode(network);
    this.createOpts.NetworkingConfig = { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: address } } } };
    return this;
  }
}

/** The engine's create-network request: a bridge on SUBNET, labelled. */
export function networkRequest(): { Name: string; Driver: string; CheckDuplicate: boolean; IPAM: object; Labels: Record<string, string> } {
  return {
    Name: NETWORK,
    Driver: 'bridge',
    CheckDuplicate: true,
    IPAM: { Driver: 'default', Config: [{ Subnet: SUBNET, Gateway: GATEWAY }] },
    Labels: { [LABEL]: LABEL_VALUE },
  };
}

/**
 * Brings the topology up: node files, the network, one container per node (in parallel). Every
 * engine object carries the LABEL, so a crash at any point leaves nothing cleanup() cannot find;
 * ids go into `state` as they come. On failure the caller tears down from `state` and the labels.
 */
export async function bringUp(client: ContainerRuntimeClient, topology: Topology, state: ContainersState): Promise<Timings> {
  const t = { start: performance.now() };
  const mark = (): number => {
    const now = performance.now();
    const d = now - t.start;
    t.start = now;
    return d;
  };

  const addrs = topology.nodes.map((n, i) => ({ name: n.name, address: nodeAddress(i) }));
  await mkdir(CLUSTER_DIR, { recursive: true, mode: 0o700 });
  const secrets = makeSecrets(addrs.map((a) => a.name));
  await writeFiles(HARNESS_KEY_DIR, renderHarnessFiles(addrs, secrets));
  await Promise.all(
    addrs.map(async (a) => {
      await mkdir(path.join(nodeDir(a.name), 'home'), { recursive: true, mode: 0o700 });
      await writeFiles(nodeDir(a.name), [...renderNodeFiles(a, addrs, secrets, NET), { path: 'init.sh', content: NODE_INIT, mode: 0o700 }]);
    }),
  );
  const known = knownHostsLines(addrs, secrets);
  state.nodes = addrs.map((a, index) => ({
    info: withKeys(
      nodeInfo(topology.nodes[index] ?? { name: a.name }, a.address, { host: a.address, port: 22, keyDir: HARNESS_KEY_DIR }),
      secrets.harness.privateKey,
      known.get(a.name) ?? '',
    ),
    index,
    container: containerName(a.name),
    id: undefined,
  }));
  saveState(state);
  const files = mark();

  const network = await withTimeout(client.network.create(networkRequest()), 30_000, 'network create');
  state.network = network.id;
  saveState(state);
  const net = mark();

  const size = topology.dataSizeMiB ?? 256;
  const hosts = [{ host: 'harness', ipAddress: GATEWAY }, ...addrs.map((a) => ({ host: a.name, ipAddress: a.address }))];
  await Promise.all(
    state.nodes.map(async (n) => {
      const started = await new NodeContainer(state.image)
        .withName(n.container)
        .withHostname(n.info.name)
        .withAddress(NETWORK, n.info.address)
        .withLabels({ [LABEL]: LABEL_VALUE, 'livemirror-e2e.node': n.info.name })
        .withExtraHosts(hosts)
        .withBindMounts([
          { source: nodeDir(n.info.name), target: NODE_RUN_DIR, mode: 'rw' },
          { source: path.join(nodeDir(n.info.name), 'home'), target: NODE_HOME, mode: 'rw' },
          { source: PROJECT_DIR, target: PROJECT_DIR, mode: 'ro' },
          { source: process.execPath, target: NODE_BIN_IN_NODE, mode: 'ro' },
        ])
        .withTmpFs({ '/srv': `rw,size=${size}m,mode=0755`, '/tmp': 'rw,size=512m,mode=1777' })
        // nft and tc inside the node (faults); nothing else beyond the engine's defaults.
        .withAddedCapabilities('NET_ADMIN')
        .withCommand(['/bin/bash', `${NODE_RUN_DIR}/init.sh`, n.info.address])
        .withWaitStrategy(Wait.forLogMessage(UP_LINE))
        .withStartupTimeout(START_MS)
        .start();
      n.id = started.getId();
      saveState(state);
    }),
  );
  state.phase = 'up';
  saveState(state);
  const containers = mark();
  return { files, network: net, containers };
}
