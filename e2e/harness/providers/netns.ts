import type { Cluster, ClusterProvider, Topology, UpOptions } from '../cluster.js';
import { validateTopology } from '../topologies.js';
import { bringUp } from './netns/bring-up.js';
import { nodeDir } from './netns/layout.js';
import { checkSubnetFree } from './netns/network.js';
import { NetnsCluster } from './netns/netns-cluster.js';
import { preflight } from './netns/preflight.js';
import { isLive } from './shared/proc.js';
import { serviceLogTails } from './shared/service-logs.js';
import { loadState, type NetnsState, saveState } from './netns/state.js';
import { teardown } from './netns/teardown.js';

export { NetnsCluster } from './netns/netns-cluster.js';
export { findLeftovers, snapshotMachine, type MachineSnapshot } from './netns/leftovers.js';

/**
 * Clusters of Linux network namespaces on this machine. NEEDS ROOT.
 *
 * Each node is a pid 1 holding its own network, mount, UTS, IPC and pid namespaces: its own
 * hostname, eth0 on a private bridge (which lives in a "switch" namespace of its own), private
 * /run, /tmp and /root, its data dir on a small tmpfs at the same path on every node, an sshd
 * (key-only, host key pinned in known_hosts) and an rsync daemon. The only thing in the root
 * namespace is one veth into the switch for the controller's ssh connections. The state file
 * under /run/livemirror-e2e records every process by pid and start time, so any later run (or
 * `cluster-cli down`) removes what a crashed run left. One cluster per machine at a time.
 */
export class NetnsProvider implements ClusterProvider {
  readonly name = 'netns';

  async up(topology: Topology, options: UpOptions = {}): Promise<NetnsCluster> {
    const log = options.log ?? (() => undefined);
    validateTopology(topology);
    preflight();
    await this.cleanup(options);
    await checkSubnetFree();
    const t0 = performance.now();
    const state: NetnsState = {
      version: 1,
      ownerPid: process.pid,
      createdAt: new Date().toISOString(),
      phase: 'starting',
      topology,
      switch: undefined,
      nodes: [],
    };
    saveState(state);
    try {
      const t = await bringUp(topology, state);
      const total = performance.now() - t0;
      log(
        `netns: ${topology.nodes.length} nodes of '${topology.name}' up in ${total.toFixed(0)} ms ` +
          `(files ${t.files.toFixed(0)}, namespaces ${t.namespaces.toFixed(0)}, network ${t.network.toFixed(0)}, ` +
          `sshd+rsyncd ${t.services.toFixed(0)})`,
      );
      return new NetnsCluster(state, log);
    } catch (e) {
      const logs = await serviceLogTails(state.nodes.map((n) => n.info.name), nodeDir);
      const r = await teardown(state, log);
      const extra = r.survivors.length ? ` (and teardown left pids ${r.survivors.map((s) => s.pid).join(', ')})` : '';
      throw new Error(`netns: bringing up '${topology.name}' failed: ${(e as Error).message}${extra}${logs}`, { cause: e });
    }
  }

  async attach(): Promise<Cluster | undefined> {
    const state = loadState();
    if (!state || state.phase !== 'up') return undefined;
    const alive = state.switch !== undefined && isLive(state.switch) && state.nodes.every((n) => n.init !== undefined && isLive(n.init));
    return alive ? new NetnsCluster(state) : undefined;
  }

  async cleanup(options: UpOptions = {}): Promise<void> {
    const state = loadState();
    if (state && options.log) {
      options.log(`netns: removing cluster '${state.topology.name}' (created ${state.createdAt} by pid ${state.ownerPid}, ${state.phase})`);
    }
    const r = await teardown(state, options.log);
    if (r.survivors.length) throw new Error(`netns: could not remove processes ${r.survivors.map((s) => s.pid).join(', ')}`);
  }
}
