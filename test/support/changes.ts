import type { Change } from '../../src/core/change.js';
import type { ReplicaTunables } from '../../src/core/tunables.js';

/** Changes as a replica's queue holds them, stamped now unless `extra` says otherwise. */
export const write = (path: string, extra: Partial<Change> = {}): Change => ({
  path,
  recursive: false,
  isDir: false,
  deleted: false,
  first: Date.now(),
  last: Date.now(),
  open: false,
  ...extra,
});
/** A new (or rescanned) directory: synced with its subtree. */
export const tree = (path: string, extra: Partial<Change> = {}): Change => write(path, { isDir: true, recursive: true, ...extra });
export const del = (path: string, isDir = false): Change => write(path, { isDir, deleted: true });

/** A byte-string path (latin1) as the Buffer path below `root`. */
export const abs = (root: string, rel: string): Buffer => Buffer.concat([Buffer.from(root + '/'), Buffer.from(rel, 'latin1')]);

/** Short timeouts and retries, so tests of failures do not wait long. */
export function testTunables(extra: Partial<ReplicaTunables> = {}): ReplicaTunables {
  return {
    backoffInitialMs: 100,
    backoffMaxMs: 400,
    resyncAfterMs: 60_000,
    queueCap: 10_000,
    batchTimeoutMs: 60_000,
    ioTimeoutS: 20,
    connectTimeoutS: 5,
    killGraceMs: 1000,
    ...extra,
  };
}
