import { rm } from 'node:fs/promises';
import type { ContainerRuntimeClient } from 'testcontainers';
import { stopExecMonitors } from './exec-monitors.js';
import { withTimeout } from './image.js';
import { CLUSTER_DIR, LABEL, LABEL_VALUE, NETWORK } from './layout.js';
import { type ContainersState, removeState } from './state.js';

export interface TeardownReport {
  readonly containers: number;
  readonly networks: number;
  readonly ms: number;
}

const LABEL_FILTER = { label: [`${LABEL}=${LABEL_VALUE}`] };

/** Names or ids of every container the provider made (running or not): by label, and those `state` records. */
export async function labelledContainers(client: ContainerRuntimeClient): Promise<{ id: string; name: string }[]> {
  const list = await client.container.dockerode.listContainers({ all: true, filters: LABEL_FILTER });
  return list.map((c) => ({ id: c.Id, name: (c.Names[0] ?? c.Id).replace(/^\//, '') }));
}

export async function labelledNetworks(client: ContainerRuntimeClient): Promise<{ id: string; name: string }[]> {
  const list = await client.container.dockerode.listNetworks({ filters: LABEL_FILTER });
  return list.map((n) => ({ id: n.Id, name: n.Name }));
}

function gone(e: unknown): boolean {
  const code = (e as { statusCode?: number }).statusCode;
  return code === 404 || /no such|not found/i.test(String((e as Error).message));
}

/**
 * Removes everything of the provider's: every container with its label or named in `state`
 * (killed, then removed with its anonymous volumes), every network with its label or named
 * NETWORK, the cluster directory and the state file. Never by image or name pattern beyond
 * those. Safe on a half-made or already-removed cluster. Throws if something could not be removed.
 */
export async function teardown(client: ContainerRuntimeClient, state: ContainersState | undefined, log?: (line: string) => void): Promise<TeardownReport> {
  const t0 = performance.now();
  const docker = client.container.dockerode;
  const targets = new Set<string>((await labelledContainers(client)).map((c) => c.id));
  for (const n of state?.nodes ?? []) targets.add(n.id ?? n.container);
  const problems: string[] = [];
  let containers = 0;
  await Promise.all(
    [...targets].map(async (id) => {
      try {
        await withTimeout(docker.getContainer(id).remove({ force: true, v: true }), 30_000, `remove container ${id}`);
        containers++;
      } catch (e) {
        if (!gone(e)) problems.push(`container ${id}: ${(e as Error).message}`);
      }
    }),
  );
  // podman's exec sessions keep a conmon pair each for minutes after the container is gone.
  await stopExecMonitors(targets).catch((e: unknown) => problems.push((e as Error).message));
  const nets = new Set<string>((await labelledNetworks(client)).map((n) => n.id));
  if (state?.network) nets.add(state.network);
  if (state) nets.add(NETWORK);
  let networks = 0;
  for (const id of nets) {
    try {
      await withTimeout(docker.getNetwork(id).remove(), 30_000, `remove network ${id}`);
      networks++;
    } catch (e) {
      if (!gone(e)) problems.push(`network ${id}: ${(e as Error).message}`);
    }
  }
  if (problems.length) throw new Error(`containers: teardown left:\n  ${problems.join('\n  ')}`);
  await rm(CLUSTER_DIR, { recursive: true, force: true });
  removeState();
  const ms = performance.now() - t0;
  if (log && (state || containers || networks)) {
    log(`containers: removed ${state ? `cluster '${state.topology.name}'` : 'leftovers'} (${containers} containers, ${networks} networks, ${ms.toFixed(0)} ms)`);
  }
  return { containers, networks, ms };
}
