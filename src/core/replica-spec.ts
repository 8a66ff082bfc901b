import type { Target } from './target.js';

/** One replica as configured (config/load.ts builds it; the Replica never changes it). */
export interface ReplicaSpec {
  /** Unique among the replicas; names its logs and status line. */
  name: string;
  target: Target;
  /** The target as the user wrote it (for messages). */
  targetText: string;
  /** rsync daemon password file (daemon targets only; must not be readable by others). */
  passwordFile?: string;
  /** ssh private key (ssh targets); without it the ssh agent (SSH_AUTH_SOCK) is used. */
  identityFile?: string;
  /** known_hosts to verify the ssh host key against; default ~/.ssh/known_hosts. Never skipped. */
  knownHostsFile?: string;
  /** ssh port when the target text carries none (`host:/path` cannot). */
  sshPort?: number;
  /** Extra rsync options (global then per replica), placed after `-a` and before livemirror's own. */
  rsyncOptions: string[];
  /** Replay renames as renames (local rename / sftp) before the rsync passes. */
  renames: boolean;
  /** The rsync program run locally. */
  rsyncPath: string;
  /** The rsync program on an ssh replica (rsync --rsync-path); default: `rsync` in its PATH. */
  remoteRsyncPath?: string;
  /** ssh replicas: run rsync's ssh over one kept connection (replicate/ssh/master.ts); only
   *  `false` turns it off (default: config/defaults.ts sshConnectionSharing). */
  sshConnectionSharing?: boolean;
}

