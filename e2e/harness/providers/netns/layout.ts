import path from 'node:path';
import { STATE_DIR } from '../shared/layout.js';

export {
  NODE_DATA_DIR,
  NODE_DATA_FS,
  NODE_FILL_PREFIX,
  NODE_HOME,
  NODE_RUN_DIR,
  PROJECT_DIR,
  RSYNC_MODULE,
  RSYNC_PORT,
  RSYNC_USER,
  STATE_DIR,
} from '../shared/layout.js';

/**
 * Where the netns provider keeps things, on the machine and inside each node. One cluster per
 * machine at a time: everything hangs off `STATE_DIR`.
 */

/** State file and the cluster's files (keys, configs, logs); removed by down(). */
export const STATE_FILE = path.join(STATE_DIR, 'state.json');
export const CLUSTER_DIR = path.join(STATE_DIR, 'cluster');

/** The cluster network: a /24 used only on the harness's own bridge (switch namespace). */
export const SUBNET_PREFIX = '10.213.7';
export const PREFIX_LEN = 24;
/** The controller's address on the bridge (root namespace side of the harness veth). */
export const HARNESS_ADDRESS = `${SUBNET_PREFIX}.1`;
/** The only link the provider puts in the root namespace (its peer is in the switch). */
export const HOST_LINK = 'lm-e2e0';
export const BRIDGE = 'br0';

export function nodeAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 199) throw new Error(`node index ${index} out of range`);
  return `${SUBNET_PREFIX}.${11 + index}`;
}

/** The switch-side end of node `index`'s veth (the node's end is `eth0`). */
export function switchPort(index: number): string {
  return `p${index}`;
}

/** The node's files on the machine; inside the node the same directory is `NODE_RUN_DIR`. */
export function nodeDir(name: string): string {
  return path.join(CLUSTER_DIR, 'nodes', name);
}

export const HARNESS_KEY_DIR = path.join(CLUSTER_DIR, 'harness');
