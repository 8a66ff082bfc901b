import path from 'node:path';
import type { NodeInfo, NodeSpec } from '../../cluster.js';
import { NODE_DATA_DIR, NODE_HOME, PROJECT_DIR, RSYNC_MODULE, RSYNC_PORT, RSYNC_USER } from './layout.js';

/** Where the controller reaches a node's sshd, and where its key and known_hosts live on the machine. */
export interface SshPlace {
  readonly host: string;
  readonly port: number;
  /** The directory holding the controller's `id_ed25519` and `known_hosts`. */
  readonly keyDir: string;
}

/**
 * What scenarios get to know about a node: the same paths and credentials on every provider
 * (see layout.ts). The private key and the node's known_hosts line are filled in once generated.
 */
export function nodeInfo(spec: NodeSpec, address: string, ssh: SshPlace): NodeInfo {
  return {
    name: spec.name,
    role: spec.role,
    address,
    ssh: {
      host: ssh.host,
      port: ssh.port,
      user: 'root',
      privateKey: '',
      privateKeyPath: path.join(ssh.keyDir, 'id_ed25519'),
      knownHostsLine: '',
      knownHostsPath: path.join(ssh.keyDir, 'known_hosts'),
    },
    dataDir: NODE_DATA_DIR,
    projectDir: PROJECT_DIR,
    peer: {
      sshUser: 'root',
      identityFile: `${NODE_HOME}/.ssh/id_ed25519`,
      knownHostsFile: `${NODE_HOME}/.ssh/known_hosts`,
      sshConfigFile: `${NODE_HOME}/.ssh/config`,
      rsyncUser: RSYNC_USER,
      rsyncModule: RSYNC_MODULE,
      rsyncPort: RSYNC_PORT,
      rsyncPasswordFile: `${NODE_HOME}/.rsync.password`,
    },
  };
}

/** `info` with the controller's key and the node's known_hosts line set. */
export function withKeys(info: NodeInfo, privateKey: string, knownHostsLine: string): NodeInfo {
  return { ...info, ssh: { ...info.ssh, privateKey, knownHostsLine } };
}
