import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { NodeInfo, Topology } from '../../cluster.js';
import { STATE_DIR } from '../shared/layout.js';
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
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  const tmp = `${STATE_FILE}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(tmp, STATE_FILE);
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
  try {
    return parseState(readFileSync(STATE_FILE, 'utf8'));
  } catch {
    return undefined;
  }
}

export function removeState(): void {
  rmSync(STATE_FILE, { force: true });
  rmSync(`${STATE_FILE}.tmp`, { force: true });
}
