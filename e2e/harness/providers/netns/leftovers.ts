import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { execa } from 'execa';
import { CLUSTER_DIR, HOST_LINK, STATE_FILE } from './layout.js';
import { isLive, type ProcRef } from '../shared/proc.js';
import type { NetnsState } from './state.js';

/** What the machine looks like from the root namespaces (to compare before/after a cluster). */
export interface MachineSnapshot {
  readonly netns: readonly string[];
  readonly links: readonly string[];
  readonly mounts: readonly string[];
}

export async function snapshotMachine(): Promise<MachineSnapshot> {
  const netns = String((await execa('ip', ['netns', 'list'], { timeout: 15_000 })).stdout)
    .split('\n')
    .filter((l) => l.trim() !== '');
  const links = String((await execa('ip', ['-o', 'link', 'show'], { timeout: 15_000 })).stdout)
    .split('\n')
    .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter((l) => l !== '');
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((l) => l !== '');
  return { netns, links, mounts };
}

/** The namespace identities (e.g. `net:[4026532201]`) of the cluster's processes, taken while it runs. */
export function clusterNamespaces(state: NetnsState): string[] {
  const pids = [state.switch?.pid, ...state.nodes.map((n) => n.init?.pid)].filter((p): p is number => p !== undefined);
  const ids: string[] = [];
  for (const pid of pids) {
    for (const kind of ['net', 'mnt', 'pid', 'uts']) {
      try {
        ids.push(readlinkSync(`/proc/${pid}/ns/${kind}`));
      } catch {
        // process gone: nothing to record
      }
    }
  }
  // The root namespaces are shared with everything; only the cluster's own count.
  const own = new Set(['net', 'mnt', 'pid', 'uts'].map((k) => readlinkSync(`/proc/self/ns/${k}`)));
  return [...new Set(ids)].filter((id) => !own.has(id));
}

/**
 * Everything a removed cluster might have left, as readable problems (empty = clean): processes
 * still alive or still inside one of its namespaces, new netns names, links, or mounts since
 * `before`, its state file or directory.
 */
export async function findLeftovers(before: MachineSnapshot, namespaces: readonly string[], procs: readonly ProcRef[]): Promise<string[]> {
  const problems: string[] = [];
  for (const p of procs) if (isLive(p)) problems.push(`process ${p.pid} still alive`);
  const wanted = new Set(namespaces);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    for (const kind of ['net', 'mnt', 'pid', 'uts']) {
      try {
        const id = readlinkSync(`/proc/${entry}/ns/${kind}`);
        if (wanted.has(id)) problems.push(`process ${entry} still in cluster namespace ${id}`);
      } catch {
        // raced with the process exiting
      }
    }
  }
  const after = await snapshotMachine();
  const added = (a: readonly string[], b: readonly string[]): string[] => b.filter((x) => !a.includes(x));
  for (const n of added(before.netns, after.netns)) problems.push(`new netns ${n}`);
  for (const l of added(before.links, after.links)) problems.push(`new link ${l}`);
  if (after.links.includes(HOST_LINK)) problems.push(`link ${HOST_LINK} still present`);
  for (const m of added(before.mounts, after.mounts)) problems.push(`new mount ${m}`);
  if (existsSync(STATE_FILE)) problems.push(`state file ${STATE_FILE} still present`);
  if (existsSync(CLUSTER_DIR)) problems.push(`directory ${CLUSTER_DIR} still present`);
  return problems;
}
