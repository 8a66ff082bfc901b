import { rm } from 'node:fs/promises';
import { CLUSTER_DIR } from './layout.js';
import { removeHostLink } from './network.js';
import { isLive, killRef, type ProcRef, waitGone } from '../shared/proc.js';
import { loadState, type NetnsState, removeState } from './state.js';

export interface TeardownReport {
  readonly killed: number;
  readonly hostLinkRemoved: boolean;
  /** Processes still alive after the deadline (should be empty). */
  readonly survivors: readonly ProcRef[];
  readonly ms: number;
}

/**
 * Removes everything a state describes, by pid (checked against its recorded start time), never
 * by name: the controller's link, every node (killing a node's pid 1 ends its whole pid
 * namespace; its mounts and network namespace go with its last process), the switch, the
 * cluster directory, the state file. Safe on a half-made or already-removed cluster.
 */
export async function teardown(state: NetnsState | undefined, log?: (line: string) => void): Promise<TeardownReport> {
  const t0 = performance.now();
  const hostLinkRemoved = await removeHostLink();
  const refs: ProcRef[] = [];
  let killed = 0;
  // A node ends when its pid 1 dies (the kernel kills the rest of its pid namespace); its holder
  // (unshare) then reaps it and exits by itself. Killing the holder too early would leave the
  // init as a zombie for the machine's pid 1 to reap, so holders are killed only if they linger
  // (or if the node never got an init recorded: --kill-child then takes the init with it).
  for (const n of state?.nodes ?? []) {
    if (n.init) {
      refs.push(n.init);
      if (killRef(n.init)) killed++;
    } else if (n.holder && killRef(n.holder)) killed++;
    if (n.holder) refs.push(n.holder);
  }
  if (state?.switch) {
    refs.push(state.switch);
    if (killRef(state.switch)) killed++;
  }
  if (!(await waitGone(refs, 2000))) {
    for (const r of refs) if (killRef(r)) killed++;
    await waitGone(refs, 3000);
  }
  const survivors = refs.filter(isLive);
  if (survivors.length === 0) {
    await rm(CLUSTER_DIR, { recursive: true, force: true });
    removeState();
  }
  const ms = performance.now() - t0;
  if (state && log) log(`netns: removed cluster '${state.topology.name}' (${killed} processes, ${ms.toFixed(0)} ms)`);
  return { killed, hostLinkRemoved, survivors, ms };
}

/** Tears down whatever the state file records (an earlier run's leftovers). */
export async function teardownRecorded(log?: (line: string) => void): Promise<TeardownReport> {
  return teardown(loadState(), log);
}
