import os from 'node:os';
import path from 'node:path';
import type { Topology } from '../../cluster.js';
import { STATE_DIR } from '../shared/layout.js';
import { readStateFile, removeStateFile, writeStateFile } from '../shared/state-file.js';
import type { HostFacts } from './host.js';

/**
 * The ssh provider's record of its cluster, so that attach() (another process: cluster-cli, a
 * scenario) finds it and cleanup() can reset its hosts after a crash. One per controller user.
 * Directory: E2E_SSH_STATE_DIR; default the providers' STATE_DIR (/run/livemirror-e2e) for root,
 * ~/.cache/livemirror-e2e for anyone else (the ssh provider needs no root on the controller).
 */
export interface SshState {
  readonly version: 1;
  readonly ownerPid: number;
  readonly createdAt: string;
  /** Absolute path of the inventory the hosts come from. */
  readonly inventory: string;
  readonly topology: Topology;
  readonly mode: 'name' | 'first';
  phase: 'starting' | 'up';
  /** Topology node → inventory host, with what up() learned about it. */
  nodes: { readonly name: string; readonly host: string; facts: HostFacts | undefined }[];
}

export function stateFile(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.E2E_SSH_STATE_DIR || (process.getuid?.() === 0 ? STATE_DIR : path.join(os.homedir(), '.cache', 'livemirror-e2e'));
  return path.join(dir, 'ssh-state.json');
}

export function saveState(state: SshState): void {
  writeStateFile(stateFile(), state);
}

export function loadState(): SshState | undefined {
  const text = readStateFile(stateFile());
  if (text === undefined) return undefined;
  try {
    const s = JSON.parse(text) as SshState;
    return s.version === 1 ? s : undefined;
  } catch {
    return undefined;
  }
}

export function removeState(): void {
  removeStateFile(stateFile());
}
