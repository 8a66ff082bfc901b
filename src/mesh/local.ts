import type { Change } from '../core/change.js';
import type { Clock } from '../core/clock.js';
import type { RelPath } from '../core/path.js';
import { readState, walkStates } from './fs-state.js';
import { sameState, type PathRecord, type PathState } from './record.js';
import type { StateDb, StateTx } from './state-db.js';
import { bump } from './version.js';

export interface LocalOptions {
  root: string;
  db: StateDb;
  /** This node's name (the key of its versions in every vector). */
  node: string;
  clock: Clock;
  /** Paths that are not content (excludes, `.livemirror/`). */
  skip: (path: RelPath, isDir: boolean) => boolean;
  /** Told how many paths each commit recorded as deleted and as new (the safety valve counts them). */
  onCommitted?: (deleted: number, made: number, now: number) => void;
}

/**
 * Tells this node's own changes from everything else, by the one test that cannot loop: a path
 * whose state on disk differs from its record is a new local version (its vector gets one more
 * count of this node); a path that matches its record is not a change at all — whether it is
 * a peer's version this node applied (mesh/apply.ts records before it writes), an echo, or a
 * settle of events that changed nothing.
 *
 * Contract: not reentrant; the Mesh runs it and apply one at a time. Each call reads the disk,
 * then records every new version in one transaction, and returns them as changes to send (one
 * per path; a deleted directory also brings its deleted children, a new one its contents).
 */
export class LocalVersions {
  constructor(private readonly o: LocalOptions) {}

  /** The settled changes of the pipeline, checked against the records. */
  async record(changes: readonly Change[]): Promise<Change[]> {
    const found = new Map<RelPath, PathState | undefined>();
    for (const c of changes) {
      if (this.o.skip(c.path, c.isDir)) continue;
      await this.look(c.path, c.recursive, found);
    }
    return this.commit(found);
  }

  /** The whole tree against the records: what changed while the daemon was not running. */
  async scanAll(): Promise<Change[]> {
    const found = new Map<RelPath, PathState | undefined>();
    await this.look('', true, found);
    // What a scan finds new is a tree recorded, not paths made now: it must not offset a loss.
    return this.commit(found, false);
  }

  /**
   * Records `state` at `path` as a new version made here (conflict copies, directories created
   * for a peer's file) inside the caller's transaction; returns the record.
   */
  versionIn(tx: StateTx, path: RelPath, state: PathState | undefined, prev: PathRecord | undefined): PathRecord {
    const rec: PathRecord = { vv: bump(prev?.vv, this.o.node), origin: this.o.node, at: this.o.clock.now() };
    if (state) rec.state = state;
    tx.put(path, rec);
    return rec;
  }

  /** Puts what is on disk at `path` (and below, for a tree) into `found`; gone paths as undefined. */
  private async look(path: RelPath, tree: boolean, found: Map<RelPath, PathState | undefined>): Promise<void> {
    const state = path === '' ? ({ type: 'dir', mode: 0 } as const) : await readState(this.o.root, path);
    if (path !== '') found.set(path, state);
    const wasDir = this.o.db.get(path)?.state?.type === 'dir';
    if (state?.type === 'dir' && (tree || !wasDir)) {
      const seen = new Set<RelPath>();
      for await (const [p, s] of walkStates(this.o.root, path, this.o.skip)) {
        found.set(p, s);
        seen.add(p);
      }
      for (const [p, r] of this.o.db.below(path)) if (r.state && !seen.has(p)) found.set(p, undefined);
    } else if (state?.type !== 'dir' && (wasDir || state === undefined)) {
      // Gone, or a directory replaced by a file: everything recorded below it is gone too.
      for (const [p, r] of this.o.db.below(path)) if (r.state) found.set(p, undefined);
    }
  }

  private commit(found: Map<RelPath, PathState | undefined>, countMade = true): Change[] {
    const now = this.o.clock.now();
    const out: Change[] = [];
    let made = 0;
    this.o.db.write((tx) => {
      for (const [path, state] of found) {
        const prev = this.o.db.get(path);
        if (sameState(prev?.state, state)) continue;
        if (!prev && !state) continue; // never known, already gone
        if (state && !prev?.state) made++;
        this.versionIn(tx, path, state, prev);
        out.push({ path, recursive: false, isDir: (state ?? prev?.state)?.type === 'dir', deleted: !state, first: now, last: now, open: false });
      }
    });
    this.o.onCommitted?.(out.filter((c) => c.deleted).length, countMade ? made : 0, now);
    return out;
  }
}
