import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Change } from '../core/change.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import { errorText } from '../core/errors.js';
import { isMeshPath, meshRel } from '../core/mesh-layout.js';
import { displayPath, type RelPath } from '../core/path.js';
import { formatVersion } from './version.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { MeshStatus } from '../core/status.js';
import { defaults } from '../config/defaults.js';
import type { BatchRunner } from '../replicate/batch-run.js';
import { createInotifySource } from '../watch/inotify.js';
import type { EventSource } from '../watch/source.js';
import { applyManifest } from './apply.js';
import { DeleteWindow } from './delete-window.js';
import { LocalVersions } from './local.js';
import { LoopDetector } from './loop-detector.js';
import { InboxDrain } from './inbox-drain.js';
import { decodeManifest, type Manifest } from './manifest.js';
import { MeshPush, samplePaths } from './push.js';
import { StateDb } from './state-db.js';

export interface MeshOptions {
  root: string;
  nodeName: string;
  /** false: `meshProtection: off`, the naive mesh that reproduces sync loops. */
  protection: boolean;
  tombstoneTtlMs: number;
  maxDeleteShare: number;
  /** Paths that are not content: the user's excludes (the mesh directory is added here). */
  isExcluded: (path: RelPath, isDir: boolean) => boolean;
  log: Logger;
  clock: Clock;
}

/**
 * One node of a multi-master mesh (DESIGN.md "Mesh"; README "Mesh"). It owns the node's state
 * database, tells local changes from received ones (local.ts), applies what peers deliver to its
 * inbox (apply.ts) and lends each peer replica its runs (push.ts).
 *
 * Contract: `open()` prepares `.livemirror/` and the database; `catchUp()` records what changed
 * while the daemon was down and applies manifests that arrived meanwhile, returning the
 * changes to send; `startInbox()` then applies each new manifest as it arrives. `local()` and
 * manifest applies run one at a time, in order (they share the database and the tree).
 * `close()` stops the inbox and closes the database; idempotent.
 */
export class MeshNode {
  readonly detector: LoopDetector;
  private readonly local: LocalVersions;
  /** This node's own recent net loss of paths (the safety valve). */
  private readonly deletes = new DeleteWindow(defaults.mesh.valveWindowMs);
  private serial: Promise<unknown> = Promise.resolve();
  private inbox: EventSource | undefined;
  private inboxPump: Promise<void> | undefined;
  private sweepTimer: TimerHandle | undefined;
  private seq: number;
  private closed = false;
  private readonly counts = { manifests: 0, taken: 0, conflicts: 0, refused: 0 };
  private lastProblem: string | undefined;
  private countsCache: { at: number; live: number; tombstones: number } | undefined;
  /** Sender name → the id seen last and when (two nodes with one name are refused). */
  private readonly senders = new Map<string, { id: string; at: number }>();

  private constructor(
    private readonly o: MeshOptions,
    readonly db: StateDb,
    readonly identity: { name: string; id: string },
  ) {
    this.seq = db.getMeta<number>('seq') ?? 0;
    this.detector = new LoopDetector(defaults.mesh.loop);
    this.local = new LocalVersions({ root: o.root, db, node: identity.name, clock: o.clock, skip: this.skip, onCommitted: (deleted, made, now) => this.deletes.note(deleted, made, now) });
  }

  static async open(o: MeshOptions): Promise<MeshNode> {
    const at = (rel: string) => path.join(o.root, rel);
    for (const d of [meshRel.state, meshRel.inbox, meshRel.stage, meshRel.scratch]) await fsp.mkdir(at(d), { recursive: true });
    const db = StateDb.open(at(meshRel.state));
    let id = db.getMeta<string>('id');
    if (!id) {
      id = randomBytes(8).toString('hex');
      const fresh = id;
      db.write((tx) => tx.setMeta('id', fresh));
    }
    const node = new MeshNode(o, db, { name: o.nodeName, id });
    await fsp.writeFile(at(meshRel.nodeFile), `${JSON.stringify({ v: 1, name: o.nodeName, id })}\n`);
    await node.sweep();
    return node;
  }

  /** The mesh directory and the user's excludes. */
  readonly skip = (p: RelPath, isDir: boolean): boolean => isMeshPath(p) || this.o.isExcluded(p, isDir);

  /**
   * Manifests that arrived while the daemon was down, then what changed here meanwhile. In that
   * order: a manifest this node was killed applying is still in the inbox, and the versions it
   * had written but not recorded must be recognised as the peer's (apply.ts current()), not
   * scanned as local edits that would conflict with them.
   */
  async catchUp(): Promise<Change[]> {
    const backlog = (await fsp.readdir(path.join(this.o.root, meshRel.inbox))).filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort();
    const sends: Change[] = [];
    for (const name of backlog) sends.push(...(await this.applyFile(name, true)));
    const changed = await this.exclusive(() => this.local.scanAll());
    this.traceLocal('scan', changed);
    return [...sends, ...changed];
  }

  /** The pipeline's settled changes → the new local versions to send (damped paths held back). */
  async versions(changes: readonly Change[], sendLater: (c: Change[]) => void): Promise<Change[]> {
    if (!this.o.protection) return [...changes];
    const out = await this.exclusive(() => this.local.record(changes));
    const now = this.o.clock.now();
    for (const c of out) this.detector.noteSending(c.path, this.db.get(c.path)?.state, now);
    this.traceLocal('settled', out);
    const held = out.filter((c) => this.detector.holdMs(c.path, now) > 0);
    for (const c of held) this.o.clock.setTimeout(() => sendLater([c]), this.detector.holdMs(c.path, now));
    return held.length === 0 ? out : out.filter((c) => !held.includes(c));
  }

  /**
   * Applies manifests as they arrive; `send` gets the local versions an apply made. The watch
   * and the listing at start (manifests that arrived between catchUp() and the watch) only ask
   * for a pass over the whole inbox in order (inbox-drain.ts): a manifest seen by the watch
   * first never goes before an earlier one of its sender still waiting in the listing.
   */
  async startInbox(send: (changes: Change[]) => void): Promise<void> {
    const dir = path.join(this.o.root, meshRel.inbox);
    const drain = new InboxDrain(
      async () => (await fsp.readdir(dir)).filter((n) => n.endsWith('.json') && !n.startsWith('.')),
      async (name) => {
        const out = await this.applyFile(name);
        if (out.length > 0) send(out);
      },
      () => this.closed,
    );
    const inbox = createInotifySource({ root: dir, isExcluded: (p) => p.startsWith('.'), clock: this.o.clock });
    await inbox.start();
    this.inbox = inbox;
    this.inboxPump = (async () => {
      try {
        for await (const batch of inbox.events()) {
          if (batch.some((e) => e.kind !== 'delete' && e.path.endsWith('.json') && !e.path.includes('/'))) await drain.request();
        }
      } catch (e) {
        this.problem(`inbox watch failed: ${errorText(e)}`);
      }
    })();
    await drain.request();
  }

  runnerFor(spec: ReplicaSpec): BatchRunner {
    return new MeshPush(
      {
        root: this.o.root,
        db: this.db,
        identity: this.identity,
        nextSeq: () => {
          this.seq++;
          const s = this.seq;
          this.db.write((tx) => tx.setMeta('seq', s));
          return s;
        },
        detector: this.detector,
        clock: this.o.clock,
        scratchDir: path.join(this.o.root, meshRel.scratch),
        protection: this.o.protection,
        valve: { share: this.o.maxDeleteShare, floor: defaults.mesh.valveFloor, windowMs: defaults.mesh.valveWindowMs },
        recentLoss: (since) => this.deletes.netLoss(this.o.clock.now(), since),
        identityRecheckMs: defaults.mesh.identityRecheckMs,
      },
      spec,
    );
  }

  status(): MeshStatus {
    const now = this.o.clock.now();
    if (!this.countsCache || now - this.countsCache.at > defaults.mesh.countsEveryMs) this.countsCache = { at: now, ...this.db.counts() };
    return {
      node: this.identity.name,
      id: this.identity.id,
      protection: this.o.protection ? 'on' : 'off',
      paths: this.countsCache.live,
      tombstones: this.countsCache.tombstones,
      manifests: this.counts.manifests,
      taken: this.counts.taken,
      conflicts: this.counts.conflicts,
      refused: this.counts.refused,
      bounces: this.detector.bounceCount,
      damped: this.detector.damped(now).length,
      ...(this.lastProblem ? { lastProblem: this.lastProblem } : {}),
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.o.clock.clearTimeout(this.sweepTimer);
    await this.inbox?.close();
    await this.inboxPump;
    await this.serial.catch(() => {});
    await this.db.close();
  }

  /** Runs `fn` after everything queued before it (local versions and applies never interleave). */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.serial.then(fn, fn);
    this.serial = p.catch(() => {});
    return p;
  }

  /** Applies one manifest file of the inbox (then removes it and its staged data). */
  /** `recovering`: the backlog at start, which may hold the manifest this node was killed applying. */
  private applyFile(name: string, recovering = false): Promise<Change[]> {
    return this.exclusive(async () => {
      if (this.closed) return [];
      const file = path.join(this.o.root, meshRel.inbox, name);
      const stage = path.join(this.o.root, meshRel.stage, name.replace(/\.json$/, ''));
      let m: Manifest;
      try {
        m = decodeManifest(await fsp.readFile(file, 'utf8'));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
        this.problem(`${name}: ${errorText(e)}; set aside as ${name}.bad`);
        await fsp.rename(file, `${file}.bad`).catch(() => {});
        return [];
      }
      try {
        const refusal = this.refuse(m);
        if (refusal) {
          this.counts.refused++;
          this.problem(refusal);
          return [];
        }
        if (m.info) {
          const now = this.o.clock.now();
          for (const e of m.entries) if (e.s) this.detector.noteReceived(e.p, e.s, now);
          return [];
        }
        const r = await applyManifest(m, stage, {
          root: this.o.root,
          db: this.db,
          local: this.local,
          node: this.identity.name,
          clock: this.o.clock,
          skip: this.skip,
          scratchDir: path.join(this.o.root, meshRel.scratch),
          recovering,
          ...(this.o.log.isLevelEnabled('debug') ? { trace: (t) => this.o.log.debug({ event: 'mesh-entry', ...t, path: displayPath(t.path) }, 'entry') } : {}),
        });
        this.counts.manifests++;
        this.counts.taken += r.taken;
        this.counts.conflicts += r.conflicts;
        const now = this.o.clock.now();
        for (const x of r.received) this.detector.noteReceived(x.path, x.state, now, x.vv);
        this.o.log.info(
          { event: 'mesh-applied', from: m.from.name, manifest: m.id, kind: m.kind, entries: m.entries.length, taken: r.taken, ignored: r.ignored, kept: r.kept, merged: r.merged, conflicts: r.conflicts, skipped: r.skipped },
          `applied ${m.kind} from ${m.from.name}: ${m.entries.length} entries (${r.taken} taken, ${r.ignored} already here or older, ${r.conflicts} conflicts, ${r.kept} kept${r.skipped ? `, ${r.skipped} left for later: ${r.skippedPaths.map((p) => displayPath(p)).join(', ')}` : ''})${m.entries.length && m.kind === 'batch' ? `: ${samplePaths(m.entries)}` : ''}`,
        );
        for (const p of r.problems) this.problem(`applying ${m.id}: ${p}`);
        return r.send;
      } finally {
        await fsp.rm(stage, { recursive: true, force: true }).catch(() => {});
        await fsp.unlink(file).catch(() => {});
      }
    });
  }

  /** Why a manifest must not be applied (a sender claiming this node's name or another's), or undefined. */
  private refuse(m: Manifest): string | undefined {
    const { name, id } = m.from;
    if (name === this.identity.name)
      return `a peer (id ${id}) calls itself "${name}", like this node (id ${this.identity.id}): its manifest ${m.id} is refused; give every node its own --node-name`;
    const now = this.o.clock.now();
    const seen = this.senders.get(name);
    if (seen && seen.id !== id && now - seen.at < defaults.mesh.sameNameWindowMs)
      return `two peers call themselves "${name}" (ids ${seen.id} and ${id}): manifest ${m.id} is refused; give every node its own --node-name`;
    this.senders.set(name, { id, at: now });
    return undefined;
  }

  /** Drops tombstones past their time and staged data no manifest claimed; runs again later. */
  private async sweep(): Promise<void> {
    const now = this.o.clock.now();
    const expired: RelPath[] = [];
    for (const [p, r] of this.db.below('')) if (!r.state && now - r.at > this.o.tombstoneTtlMs) expired.push(p);
    if (expired.length > 0) this.db.write((tx) => expired.forEach((p) => tx.remove(p)));
    const stageDir = path.join(this.o.root, meshRel.stage);
    const waiting = new Set((await fsp.readdir(path.join(this.o.root, meshRel.inbox)).catch(() => [] as string[])).map((n) => n.replace(/\.json$/, '')));
    for (const name of await fsp.readdir(stageDir).catch(() => [] as string[])) {
      if (waiting.has(name)) continue;
      const st = await fsp.stat(path.join(stageDir, name)).catch(() => undefined);
      if (st && now - st.mtimeMs > defaults.mesh.orphanStageMs) await fsp.rm(path.join(stageDir, name), { recursive: true, force: true });
    }
    if (!this.closed) this.sweepTimer = this.o.clock.setTimeout(() => void this.exclusive(() => this.sweep()), defaults.mesh.sweepEveryMs);
  }

  /** Debug log: the new local versions recorded (which path got which vector, from what). */
  private traceLocal(from: string, changes: readonly Change[]): void {
    if (!this.o.log.isLevelEnabled('debug')) return;
    for (const c of changes) {
      const r = this.db.get(c.path);
      this.o.log.debug({ event: 'mesh-local', from, path: displayPath(c.path), vv: r ? formatVersion(r.vv) : '', state: r?.state ?? 'deleted' }, 'local version');
    }
  }

  private problem(text: string): void {
    this.lastProblem = text;
    this.o.log.warn({ event: 'mesh-problem' }, text);
  }
}
