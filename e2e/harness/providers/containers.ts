import type { ContainerRuntimeClient } from 'testcontainers';
import type { Cluster, ClusterProvider, Topology, UpOptions } from '../cluster.js';
import { validateTopology } from '../topologies.js';
import { bringUp } from './containers/bring-up.js';
import { ContainersCluster } from './containers/containers-cluster.js';
import { type Engine, ensureEngine, stopEngine } from './containers/engine.js';
import { ensureImage } from './containers/image.js';
import { nodeDir, SUBNET } from './containers/layout.js';
import { checkSubnetFree } from './containers/subnet.js';
import { type ContainersState, loadState, saveState } from './containers/state.js';
import { teardown } from './containers/teardown.js';
import { serviceLogTails } from './shared/service-logs.js';

export { ContainersCluster } from './containers/containers-cluster.js';
export { findContainerLeftovers } from './containers/leftovers.js';

/**
 * Clusters of containers through testcontainers, on podman's Docker-compatible API (started by
 * the provider when no engine is configured) or Docker. NEEDS ROOT with podman.
 *
 * One container per node on the private network NETWORK (fixed addresses on SUBNET, the
 * engine's bridge is the controller's side): hostname = node name, every node in every node's
 * /etc/hosts, sshd (key-only, host key pinned) and an rsync daemon started by the node's init
 * with the same files as netns (shared/node-files.ts), the data dir on a tmpfs of dataSizeMiB,
 * the built project and Node.js bound in read-only. Every engine object carries LABEL, and the
 * state file records the cluster, so any later run (or `cluster-cli down`) removes what a
 * crashed run left. One cluster per machine at a time.
 */
export class ContainersProvider implements ClusterProvider {
  readonly name = 'containers';

  async up(topology: Topology, options: UpOptions = {}): Promise<ContainersCluster> {
    const log = options.log ?? (() => undefined);
    validateTopology(topology);
    const t0 = performance.now();
    const { client, engine } = await connect(log);
    let image: string;
    try {
      await teardown(client, loadState(), log);
      await checkSubnetFree(SUBNET);
      image = await ensureImage(client, engine, log);
    } catch (e) {
      if (engine.service) await stopEngine().catch(() => undefined);
      throw e;
    }
    const tImage = performance.now();
    const state: ContainersState = {
      version: 1,
      provider: 'containers',
      ownerPid: process.pid,
      createdAt: new Date().toISOString(),
      phase: 'starting',
      topology,
      engine,
      image,
      network: undefined,
      nodes: [],
    };
    saveState(state);
    try {
      const t = await bringUp(client, topology, state);
      log(
        `containers: ${topology.nodes.length} nodes of '${topology.name}' up in ${(performance.now() - t0).toFixed(0)} ms ` +
          `(engine+cleanup+image ${(tImage - t0).toFixed(0)}, files ${t.files.toFixed(0)}, ` +
          `network ${t.network.toFixed(0)}, containers ${t.containers.toFixed(0)})`,
      );
      return new ContainersCluster(client, state, log);
    } catch (e) {
      const logs = await serviceLogTails(state.nodes.map((n) => n.info.name), nodeDir);
      const extra = await teardown(client, state, log).then(
        () => '',
        (te: unknown) => ` (and teardown failed: ${(te as Error).message})`,
      );
      await stopEngine().catch(() => undefined);
      throw new Error(`containers: bringing up '${topology.name}' failed: ${(e as Error).message}${extra}${logs}`, { cause: e });
    }
  }

  async attach(): Promise<Cluster | undefined> {
    const state = loadState();
    if (!state || state.phase !== 'up') return undefined;
    const { client } = await connect();
    for (const n of state.nodes) {
      const info = await client.container.inspect(client.container.getById(n.id ?? n.container)).catch(() => undefined);
      if (!info?.State.Running) return undefined;
    }
    return new ContainersCluster(client, state);
  }

  async cleanup(options: UpOptions = {}): Promise<void> {
    const state = loadState();
    if (state && options.log) {
      options.log(`containers: removing cluster '${state.topology.name}' (created ${state.createdAt} by pid ${state.ownerPid}, ${state.phase})`);
    }
    const { client } = await connect(options.log);
    await teardown(client, state, options.log);
    await stopEngine();
  }
}

/** The engine (started if need be) and testcontainers' client for it (made after DOCKER_HOST is set). */
async function connect(log?: (line: string) => void): Promise<{ client: ContainerRuntimeClient; engine: Engine }> {
  const engine = await ensureEngine(log);
  const { getContainerRuntimeClient } = await import('testcontainers');
  return { client: await getContainerRuntimeClient(), engine };
}
