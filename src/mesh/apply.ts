import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Change } from '../core/change.js';
import type { Clock } from '../core/clock.js';
import { errorText } from '../core/errors.js';
import { compareBytes, displayPath, joinBytes, parentOf, type RelPath } from '../core/path.js';
import { decide, type Decision } from './decide.js';
import { isGone, readState } from './fs-state.js';
import type { LocalVersions } from './local.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import { conflictName, sameContent, sameState, type PathRecord, type PathState } from './record.js';
import type { StateDb } from './state-db.js';
import { formatVersion, mergeVersions, type VersionVector } from './version.js';

export interface ApplyOptions {
  root: string;
  db: StateDb;
  local: LocalVersions;
  node: string;
  clock: Clock;
  skip: (path: RelPath, isDir: boolean) => boolean;
  /** Scratch directory on the same file system as root (hard links of what is replaced). */
  scratchDir: string;
  /** Applying the backlog at start (MeshNode.catchUp): a disk that already holds exactly an
   *  entry's version is that entry half-applied before a kill, not a local edit (current()). */
  recovering?: boolean;
  /** Told every entry's decision (the daemon's debug log: which version met which, and why). */
  trace?: (t: { manifest: string; path: RelPath; decision: string; incoming: string; local: string }) => void;
}

export interface ApplyResult {
  /** Entries by what was done with them. */
  taken: number;
  ignored: number;
  kept: number;
  merged: number;
  conflicts: number;
  /** Entries left for a later manifest (their data did not arrive, or the disk refused). */
  skipped: number;
  /** The first few of them, for the log. */
  skippedPaths: RelPath[];
  /** New versions made here while applying (undetected local edits, conflict copies, parent
   *  directories): the node sends them like any local change. */
  send: Change[];
  /** The states applied from the peer, for the loop detector. */
  received: { path: RelPath; state: PathState; vv: VersionVector }[];
  /** The first few problems, for the log. */
  problems: string[];
}

/**
 * Applies a peer's manifest (manifest.ts) to this node's tree: the receiving side of a
 * protected mesh. For every entry it first checks the path on disk against its record (a local
 * edit not yet seen by the pipeline becomes a version of its own, so it cannot be overwritten
 * unseen), then lets `decide` choose, then makes the tree say so: staged data renamed into
 * place, directories made, paths deleted, conflict copies kept. It records each result right
 * after its write, before the pipeline can look (local versioning never runs during an apply:
 * mesh.ts runs the two in one lane), so the events the writes cause match the records and are
 * not taken for local changes: nothing applied is ever sent on (no echo, no loop).
 *
 * Write first, then record, also for a crash in between: the restart's scan then finds the
 * disk ahead of its record and makes it a local version concurrent with the peer's and of the
 * same content, which every node merges. Recording first would leave the old state on disk
 * looking like an edit made after the peer's version: it would overwrite that version
 * everywhere, or bring back a directory the peer deleted.
 *
 * What is replaced or deleted is first hard-linked (or moved) to `scratchDir` and checked
 * again after the write: a local write that slipped in between is kept as a conflict copy.
 * Directories first (parents before children), then files and links, then deletions
 * (children before parents); a directory that still holds something is not deleted.
 */
export async function applyManifest(m: Manifest, stageDir: string, o: ApplyOptions): Promise<ApplyResult> {
  const res: ApplyResult = { taken: 0, ignored: 0, kept: 0, merged: 0, conflicts: 0, skipped: 0, skippedPaths: [], send: [], received: [], problems: [] };
  const ctx = new ApplyRun(m, stageDir, o, res);
  for (const e of order(m.entries)) {
    if (o.skip(e.p, e.s?.type === 'dir')) {
      res.ignored++;
      continue;
    }
    try {
      await ctx.entry(e);
    } catch (err) {
      res.skipped++;
      if (res.skippedPaths.length < 5) res.skippedPaths.push(e.p);
      if (res.problems.length < 5) res.problems.push(`${displayPath(e.p)}: ${errorText(err)}`);
    }
  }
  return res;
}

/** Live directories top-down, then files and links, then deletions bottom-up. */
function order(entries: readonly ManifestEntry[]): ManifestEntry[] {
  const rank = (e: ManifestEntry) => (e.s?.type === 'dir' ? 0 : e.s ? 1 : 2);
  return [...entries].sort((a, b) => rank(a) - rank(b) || (rank(a) === 2 ? compareBytes(b.p, a.p) : compareBytes(a.p, b.p)));
}

class ApplyRun {
  private scratchSeq = 0;

  constructor(
    private readonly m: Manifest,
    private readonly stageDir: string,
    private readonly o: ApplyOptions,
    private readonly res: ApplyResult,
  ) {}

  async entry(e: ManifestEntry): Promise<void> {
    const { o } = this;
    const incoming = { vv: e.vv, origin: e.o, ...(e.s ? { state: e.s } : {}) };
    const local = await this.current(e);
    const d: Decision = decide(e.p, local, incoming);
    o.trace?.({ manifest: this.m.id, path: e.p, decision: d.kind, incoming: describeVersion(e.s, e.vv, e.o), local: local ? describeVersion(local.state, local.vv, local.origin) : 'none' });
    const merged = local ? mergeVersions(local.vv, e.vv) : e.vv;
    switch (d.kind) {
      case 'ignore':
        this.res.ignored++;
        return;
      case 'keep':
        this.record(e.p, { ...(local?.state ? { state: local.state } : {}), vv: merged, origin: local?.origin ?? o.node });
        this.res.kept++;
        return;
      case 'merge': {
        const adopt = d.adopt === 'incoming' && e.s ? e.s : local?.state;
        if (adopt && local?.state && adopt.type !== 'symlink' && local.state.type !== 'symlink' && adopt.mode !== local.state.mode) await fsp.chmod(this.abs(e.p), adopt.mode);
        const origin = d.adopt === 'incoming' ? e.o : (local?.origin ?? e.o);
        this.record(e.p, { ...(adopt ? { state: adopt } : {}), vv: merged, origin });
        this.res.merged++;
        return;
      }
      case 'take':
        if (await this.take(e, local, merged)) this.res.taken++;
        else this.leftForLater(e.p);
        return;
      case 'conflict':
        if (await this.conflict(e, local as PathRecord, d, merged)) this.res.conflicts++;
        else this.leftForLater(e.p);
        return;
    }
  }

  /**
   * The record of `e`'s path, after recording what is on disk if it differs: an unseen local
   * edit — unless, while recovering, the disk already holds exactly the entry's version. That
   * is an apply this node wrote but did not record (it writes, then records, and was killed in
   * between; the manifest is still in its inbox and comes back at start, before the scan —
   * catchUp()): the version is the peer's, recorded as applying it would have, not a local one
   * that would conflict with it. Not while running: then a disk that differs from its record is
   * a local edit the pipeline has yet to settle, even one that happens to equal what a peer
   * sends (a chmod made here that a peer already staged from here).
   */
  private async current(e: ManifestEntry): Promise<PathRecord | undefined> {
    const p = e.p;
    const rec = this.o.db.get(p);
    const disk = await readState(this.o.root, p);
    if (sameState(rec?.state, disk) || (!rec && !disk)) return rec;
    if (this.o.recovering && sameState(e.s, disk)) {
      const applied = { ...(disk ? { state: disk } : {}), vv: rec ? mergeVersions(rec.vv, e.vv) : e.vv, origin: e.o };
      return this.record(p, applied);
    }
    // Recorded as the pipeline would: a vanished directory takes its recorded children with it
    // (a peer that deleted only the directory could not remove it, and would keep it under this
    // version), a new one brings its contents.
    const now = this.o.clock.now();
    const isDir = disk?.type === 'dir' || rec?.state?.type === 'dir';
    this.res.send.push(...(await this.o.local.record([{ path: p, recursive: false, isDir, deleted: !disk, first: now, last: now, open: false }])));
    return this.o.db.get(p);
  }

  /** Makes `p` what the entry says. False when its data is not here (left for a later manifest). */
  private async take(e: ManifestEntry, local: PathRecord | undefined, vv: PathRecord['vv']): Promise<boolean> {
    const s = e.s;
    if (!s) return this.remove(e, local, vv);
    if (s.type === 'dir') {
      await this.ensureParents(e.p);
      const disk = local?.state;
      if (disk && disk.type !== 'dir') await this.displace(e.p, disk);
      await fsp.mkdir(this.abs(e.p)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      await fsp.chmod(this.abs(e.p), s.mode);
      this.record(e.p, { state: s, vv, origin: e.o });
      this.res.received.push({ path: e.p, state: s, vv: e.vv });
      return true;
    }
    const staged = await this.staged(e);
    if (!staged) {
      // Not staged: rsync found the live file identical (--compare-dest), or the data did not arrive.
      const disk = await readState(this.o.root, e.p);
      if (!disk || !sameContent(disk, s)) return false;
      if (disk.type === 'file' && s.type === 'file' && disk.mode !== s.mode) await fsp.chmod(this.abs(e.p), s.mode);
      this.record(e.p, { state: s, vv, origin: e.o });
      this.res.received.push({ path: e.p, state: s, vv: e.vv });
      return true;
    }
    await this.ensureParents(e.p);
    await this.place(staged.abs, e.p, staged.state, local?.state, { vv, origin: e.o });
    this.res.received.push({ path: e.p, state: staged.state, vv: e.vv });
    return true;
  }

  private async remove(e: ManifestEntry, local: PathRecord | undefined, vv: PathRecord['vv']): Promise<boolean> {
    const disk = local?.state;
    if (disk?.type === 'dir') {
      try {
        await fsp.rmdir(this.abs(e.p));
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (!isGone(err) && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
        // Something is still below it (kept edits, files only this node has, excluded files):
        // it stays, as a new version of this node, newer than the delete — the peers make it
        // again. Recorded under the delete's own vector it would be two states under one
        // version: the peers that could remove it would never hear of it.
        if (!isGone(err)) {
          this.o.db.write((tx) => this.o.local.versionIn(tx, e.p, disk, { vv, origin: e.o, at: this.o.clock.now() }));
          this.sendLater(e.p, disk);
          return true;
        }
      }
      this.record(e.p, { vv, origin: e.o });
      return true;
    }
    if (disk) {
      const moved = await this.moveAside(e.p);
      this.record(e.p, { vv, origin: e.o });
      if (moved) await this.checkAside(moved, e.p, disk);
    } else {
      this.record(e.p, { vv, origin: e.o });
    }
    return true;
  }

  private async conflict(e: ManifestEntry, local: PathRecord, d: Extract<Decision, { kind: 'conflict' }>, vv: PathRecord['vv']): Promise<boolean> {
    const mine = local.state as PathState;
    const theirs = e.s as PathState;
    if (d.keep === 'local') {
      // Their version becomes the copy; mine stays.
      if (theirs.type === 'dir') return false; // winnerOf never lets a directory lose
      const staged = await this.staged(e);
      if (!staged) return false;
      if (!(await readState(this.o.root, d.copy))) {
        await this.ensureParents(d.copy);
        await fsp.rename(staged.abs, this.abs(d.copy));
        this.localVersion(d.copy, staged.state);
      }
      this.record(e.p, { state: mine, vv, origin: local.origin });
      return true;
    }
    // Their version stays at the path; mine becomes the copy.
    const staged = theirs.type === 'dir' ? undefined : await this.staged(e);
    if (theirs.type !== 'dir' && !staged) return false;
    await this.displaceTo(e.p, mine, d.copy);
    if (theirs.type === 'dir') {
      await fsp.mkdir(this.abs(e.p));
      await fsp.chmod(this.abs(e.p), theirs.mode);
      this.record(e.p, { state: theirs, vv, origin: e.o });
    } else if (staged) {
      await this.place(staged.abs, e.p, staged.state, undefined, { vv, origin: e.o });
    }
    return true;
  }

  /** Renames a staged entry over `p`, keeping what it replaces until checked. */
  private async place(stagedAbs: Buffer, p: RelPath, state: PathState, replaced: PathState | undefined, rec: Pick<PathRecord, 'vv' | 'origin'>): Promise<void> {
    const target = this.abs(p);
    let kept: Buffer | undefined;
    if (replaced && replaced.type !== 'dir') {
      kept = this.scratch();
      try {
        await fsp.link(target, kept);
      } catch (err) {
        kept = undefined;
        if (!isGone(err)) throw err;
      }
    } else if (replaced?.type === 'dir') {
      await this.displace(p, replaced);
    }
    try {
      await fsp.rename(stagedAbs, target);
    } catch (err) {
      if (kept) await fsp.unlink(kept).catch(() => {});
      throw err;
    }
    this.record(p, { state, vv: rec.vv, origin: rec.origin });
    if (kept) await this.checkAside(kept, p, replaced as PathState);
  }

  /**
   * After replacing or deleting `p`: if what was there (now at `kept`) is no longer the state
   * that was checked, a local write came in between; it is kept as a conflict copy.
   */
  private async checkAside(kept: Buffer, p: RelPath, checked: PathState): Promise<void> {
    const now = await readState(this.o.scratchDir, path.basename(kept.toString('latin1')));
    if (now && !sameState(now, checked)) {
      const copy = conflictName(p, { state: now, origin: this.o.node });
      await this.ensureParents(copy);
      await fsp.rename(kept, this.abs(copy));
      this.localVersion(copy, now);
      return;
    }
    await fsp.unlink(kept).catch(() => {});
  }

  /** Moves whatever is at `p` out of the way as a conflict copy (a file where a directory must go). */
  private async displace(p: RelPath, state: PathState): Promise<void> {
    await this.displaceTo(p, state, conflictName(p, { state, origin: this.o.db.get(p)?.origin ?? this.o.node }));
  }

  private async displaceTo(p: RelPath, state: PathState, copy: RelPath): Promise<void> {
    await this.ensureParents(copy);
    try {
      await fsp.rename(this.abs(p), this.abs(copy));
    } catch (err) {
      if (!isGone(err)) throw err;
      return;
    }
    this.localVersion(copy, (await readState(this.o.root, copy)) ?? state);
  }

  /** Moves `p` into scratch (for a delete); undefined when it is already gone. */
  private async moveAside(p: RelPath): Promise<Buffer | undefined> {
    const kept = this.scratch();
    try {
      await fsp.rename(this.abs(p), kept);
      return kept;
    } catch (err) {
      if (isGone(err)) return undefined;
      throw err;
    }
  }

  /** Makes the missing parents of `p`; each is a new version of this node (sent like a local mkdir). */
  private async ensureParents(p: RelPath): Promise<void> {
    const parents: RelPath[] = [];
    for (let d = parentOf(p); d !== ''; d = parentOf(d)) parents.unshift(d);
    for (const d of parents) {
      const s = await readState(this.o.root, d);
      if (s?.type === 'dir') continue;
      if (s) await this.displace(d, s);
      await fsp.mkdir(this.abs(d)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EEXIST') throw err;
      });
      // Its mode as made (the daemon's umask), not an assumed 0755: a record that differs from
      // the disk would be a second version at the next look.
      const made = await readState(this.o.root, d);
      if (made?.type !== 'dir') throw new Error(`${displayPath(d)}: not a directory after mkdir`);
      this.o.db.write((tx) => this.o.local.versionIn(tx, d, made, this.o.db.get(d)));
      this.sendLater(d, made);
    }
  }

  /** The staged copy of the entry's data, if it arrived (and is what the entry says it is). */
  /**
   * The staged data of `e`, only if it is exactly the version the entry announces. rsync stages
   * the sender's file as it is when rsync reads it, which may already be a newer edit (content or
   * mode): recorded under the entry's vector, that would be two states under one version, and
   * nodes that took the entry's own state would never converge with this one. Left for later:
   * the sender's pipeline saw that edit and sends it as a version of its own.
   */
  private async staged(e: ManifestEntry): Promise<{ abs: Buffer; state: PathState } | undefined> {
    const state = await readState(this.stageDir, e.p);
    if (!state || state.type === 'dir' || !e.s || !sameState(state, e.s)) return undefined;
    return { abs: joinBytes(this.stageDir, e.p), state };
  }

  private leftForLater(p: RelPath): void {
    this.res.skipped++;
    if (this.res.skippedPaths.length < 5) this.res.skippedPaths.push(p);
  }

  private localVersion(p: RelPath, state: PathState): void {
    this.o.db.write((tx) => this.o.local.versionIn(tx, p, state, this.o.db.get(p)));
    this.sendLater(p, state);
  }

  /** A live state made here (a copy, a parent, a kept directory), sent like a local change. */
  private sendLater(p: RelPath, state: PathState): void {
    const now = this.o.clock.now();
    this.res.send.push({ path: p, recursive: false, isDir: state.type === 'dir', deleted: false, first: now, last: now, open: false });
  }

  private record(p: RelPath, r: Omit<PathRecord, 'at'>): PathRecord {
    const rec: PathRecord = { vv: r.vv, origin: r.origin, at: this.o.clock.now(), ...(r.state ? { state: r.state } : {}) };
    this.o.db.write((tx) => tx.put(p, rec));
    return rec;
  }

  private abs(p: RelPath): Buffer {
    return joinBytes(this.o.root, p);
  }

  private scratch(): Buffer {
    return Buffer.from(path.join(this.o.scratchDir, `${this.m.id}.${++this.scratchSeq}`));
  }
}

/** `file 123 B 0644 mtime=…ns {n1:2,n3:1} by n1`, for the trace. */
function describeVersion(s: PathState | undefined, vv: VersionVector, origin: string): string {
  const what = !s ? 'deleted' : s.type === 'file' ? `file ${s.size} B ${s.mode.toString(8)} mtime=${s.mtimeNs}` : s.type;
  return `${what} {${formatVersion(vv)}} by ${origin}`;
}
