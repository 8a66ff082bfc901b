import { mkdirSync } from 'node:fs';
import { open, type Database, type RootDatabase } from 'lmdb';
import type { RelPath } from '../core/path.js';
import type { PathRecord } from './record.js';

/**
 * A mesh node's persistent per-path state (record.ts) and a few facts about the node, in LMDB
 * (the `lmdb` package: crash-safe, memory-mapped, prebuilt binaries in the npm package).
 *
 * Contract: reads see every committed write. Writes happen in `write(fn)`, one synchronous
 * transaction: all of fn's puts and removes commit together or not at all (a crash in between
 * leaves the previous state). Keys are RelPaths (latin1 byte strings); `below(dir)` lists the
 * records of the paths strictly below `dir` in key order. Not safe for two processes on one
 * directory: the daemon holds one per tree.
 */
export class StateDb {
  private constructor(
    private readonly root: RootDatabase,
    private readonly paths: Database<PathRecord, RelPath>,
    private readonly meta: Database<unknown, string>,
  ) {}

  static open(dir: string): StateDb {
    mkdirSync(dir, { recursive: true });
    const root = open({ path: dir, maxDbs: 4 });
    return new StateDb(root, root.openDB<PathRecord, RelPath>({ name: 'paths' }), root.openDB<unknown, string>({ name: 'meta' }));
  }

  get(path: RelPath): PathRecord | undefined {
    return this.paths.get(path);
  }

  /** Runs `fn` in one write transaction; `tx` stages puts and removes. */
  write<T>(fn: (tx: StateTx) => T): T {
    return this.root.transactionSync(() =>
      fn({
        put: (p, r) => void this.paths.put(p, r),
        remove: (p) => void this.paths.remove(p),
        setMeta: (k, v) => void this.meta.put(k, v),
      }),
    );
  }

  /** Records of the paths below `dir` ('' = every path), in key order. */
  *below(dir: RelPath): Generator<[RelPath, PathRecord]> {
    const range = dir === '' ? this.paths.getRange() : this.paths.getRange({ start: `${dir}/`, end: `${dir}0` });
    for (const { key, value } of range) yield [key, value];
  }

  getMeta<T>(key: string): T | undefined {
    return this.meta.get(key) as T | undefined;
  }

  /** Live paths (not tombstones) and tombstones. O(n): for status and the safety valve. */
  counts(): { live: number; tombstones: number } {
    let live = 0;
    let tombstones = 0;
    for (const { value } of this.paths.getRange()) {
      if (value.state) live++;
      else tombstones++;
    }
    return { live, tombstones };
  }

  async close(): Promise<void> {
    await this.root.close();
  }
}

export interface StateTx {
  put(path: RelPath, record: PathRecord): void;
  remove(path: RelPath): void;
  setMeta(key: string, value: unknown): void;
}
