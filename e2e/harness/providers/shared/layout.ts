import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * What every provider's node looks like from inside, so that scenarios and the daemon's config
 * see the same paths whatever made the node (namespaces, containers).
 */

/** The node's own files (sshd/rsyncd configs, host key, service logs), a directory of the machine bound in. */
export const NODE_RUN_DIR = '/run/lm-node';
/** The data filesystem (small, of its own, so fillDisk fills it) and the replicated tree on it. */
export const NODE_DATA_FS = '/srv';
export const NODE_DATA_DIR = '/srv/data';
export const NODE_HOME = '/root';
/** Files fillDisk puts beside the data dir (never inside it). */
export const NODE_FILL_PREFIX = '.livemirror-e2e-fill';

export const RSYNC_USER = 'livemirror';
export const RSYNC_MODULE = 'data';
export const RSYNC_PORT = 873;

/** Where every provider keeps its state files and cluster directories on the machine. */
export const STATE_DIR = '/run/livemirror-e2e';

/** The repository root (this file is e2e/harness/providers/shared/layout.ts). */
export const PROJECT_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
