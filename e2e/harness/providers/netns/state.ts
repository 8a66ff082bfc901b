import type { NodeInfo, Topology } from '../../cluster.js';
import { STATE_FILE } from './layout.js';
import type { ProcRef } from '../shared/proc.js';
import { readStateFile, removeStateFile, writeStateFile } from '../shared/state-file.js';

/** Everything needed to find (and remove) a cluster from another process or a later run. */
export interface NetnsState {
  readonly version: 1;
  /** The process that ran up(); informational. */
  readonly ownerPid: number;
  readonly createdAt: string;
  phase: 'starting' | 'up';
  readonly topology: Topology;
  /** Holder of the switch namespace (bridge + switch ports). */
  switch: ProcRef | undefined;
  nodes: NodeRecord[];
}

export interface NodeRecord {
  readonly info: NodeInfo;
  readonly index: number;
  /** The `unshare` process (outside the node's pid namespace). */
  holder: ProcRef | undefined;
  /** The node's pid 1 (its init); killing it ends every process of the node. */
  init: ProcRef | undefined;
}

export function saveState(state: NetnsState): void {
  writeStateFile(STATE_FILE, state);
}

export function loadState(): NetnsState | undefined {
  const text = readStateFile(STATE_FILE);
  if (text === undefined) return undefined;
  try {
    const s = JSON.parse(text) as NetnsState;
    return s.version === 1 ? s : undefined;
  } catch {
    return undefined;
  }
}

export function removeState(): void {
  removeStateFile(STATE_FILE);
}
