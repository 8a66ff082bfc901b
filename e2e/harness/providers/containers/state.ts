import type { NodeInfo, Topology } from '../../cluster.js';
import { readStateFile, removeStateFile, writeStateFile } from '../shared/state-file.js';
import type { Engine } from './engine.js';
import { STATE_FILE } from './layout.js';

/** Everything needed to find (and remove) a containers cluster from another process or a later run. */
export interface ContainersState {
  readonly version: 1;
  readonly provider: 'containers';
  readonly ownerPid: number;
  readonly createdAt: string;
  phase: 'starting' | 'up';
  readonly topology: Topology;
  readonly engine: Engine;
  readonly image: string;
  /** The engine's id of the cluster network, once made. */
  network: string | undefined;
  nodes: ContainerNode[];
}

export interface ContainerNode {
  readonly info: NodeInfo;
  readonly index: number;
  /** The container's name (always) and id (once started). */
  readonly container: string;
  id: string | undefined;
}

export function saveState(state: ContainersState): void {
  writeStateFile(STATE_FILE, state);
}

/** The state in `text`, or undefined when it is not a containers state of this version. */
export function parseState(text: string): ContainersState | undefined {
  let s: unknown;
  try {
    s = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof s !== 'object' || s === null) return undefined;
  const r = s as Partial<ContainersState>;
  if (r.version !== 1 || r.provider !== 'containers' || !Array.isArray(r.nodes) || typeof r.topology !== 'object' || typeof r.engine !== 'object') {
    return undefined;
  }
  return r as ContainersState;
}

export function loadState(): ContainersState | undefined {
  const text = readStateFile(STATE_FILE);
  return text === undefined ? undefined : parseState(text);
}

export function removeState(): void {
  removeStateFile(STATE_FILE);
}
