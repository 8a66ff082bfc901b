import path from 'node:path';
import { STATE_DIR } from '../shared/layout.js';

/**
 * Where the containers provider keeps things on the machine, and the names it gives the engine's
 * objects. Beside the netns provider's files under the same STATE_DIR, never in them: the two
 * can be up at once (different subnets, different state files).
 */

export const STATE_FILE = path.join(STATE_DIR, 'containers-state.json');
/** The cluster's files: keys, every node's NODE_RUN_DIR and home; removed by down(). */
export const CLUSTER_DIR = path.join(STATE_DIR, 'containers');
export const HARNESS_KEY_DIR = path.join(CLUSTER_DIR, 'harness');
/** The podman API socket the provider serves when no Docker-compatible engine is configured. */
export const PODMAN_SOCKET = path.join(STATE_DIR, 'podman.sock');

/** Every container and network the provider makes carries this label (cleanup finds leftovers by it). */
export const LABEL = 'livemirror-e2e';
export const LABEL_VALUE = '1';
export const NETWORK = 'livemirror-e2e';
/** A /24 of its own: netns uses 10.213.7.0/24. The engine's bridge takes `.1` (the controller's address). */
export const SUBNET_PREFIX = '10.213.9';
export const SUBNET = `${SUBNET_PREFIX}.0/24`;
export const GATEWAY = `${SUBNET_PREFIX}.1`;

/** Node `index`'s address: .11, .12, ... as on netns. */
export function nodeAddress(index: number): string {
  if (!Number.isInteger(index) || index < 0 || index > 199) throw new Error(`node index ${index} out of range`);
  return `${SUBNET_PREFIX}.${11 + index}`;
}

export function containerName(node: string): string {
  return `lm-e2e-${node}`;
}

/** The node's files on the machine; bound into the node as NODE_RUN_DIR (and home/ as NODE_HOME). */
export function nodeDir(name: string): string {
  return path.join(CLUSTER_DIR, 'nodes', name);
}

/** The node image's repository; its tag is a hash of everything it is built from. */
export const IMAGE_REPO = 'localhost/livemirror-e2e-node';
export const BASE_REPO = 'localhost/livemirror-e2e-base';

/** Where Node.js is put on every node (on the PATH of ssh sessions). */
export const NODE_BIN_IN_NODE = '/usr/local/bin/node';
