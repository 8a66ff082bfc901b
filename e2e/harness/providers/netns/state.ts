import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { NodeInfo, Topology } from '../../cluster.js';
import { STATE_DIR, STATE_FILE } from './layout.js';
import type { ProcRef } from '../shared/proc.js';

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

/**
 * Writes the state synchronously (write + rename), so that a pid is on disk before the next
 * await after it was spawned: a crash can never leave an unrecorded process behind.
 */
export function saveState(state: NetnsState): void {
  mkdirSync(STATE_DIR, { recursive: true, mode: 0o700 });
  const tmp = `${STATE_FILE}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2), { mode: 0o600 });
  renameSync(tmp, STATE_FILE);
}

export function loadState(): NetnsState | undefined {
  let text: string;
  try {
    text = readFileSync(STATE_FILE, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const s = JSON.parse(text) as NetnsState;
    return s.version === 1 ? s : undefined;
  } catch {
    return undefined;
  }
}

export function removeState(): void {
  rmSync(STATE_FILE, { force: true });
  rmSync(`${STATE_FILE}.tmp`, { force: true });
}
