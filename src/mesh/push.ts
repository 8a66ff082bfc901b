import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Batch, Change } from '../core/change.js';
import type { Clock } from '../core/clock.js';
import { errorText } from '../core/errors.js';
import { meshRel } from '../core/mesh-layout.js';
import { displayPath, joinBytes, type RelPath } from '../core/path.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import { addStats, argsBase, rsyncPasses, runRsyncPass, zeroStats, type BatchRunner, type Outcome, type PassContext } from '../replicate/batch-run.js';
import { deliverArgs, fileList, identityArgs, stageArgs, type ArgsInput } from '../replicate/rsync-args.js';
import { readState } from './fs-state.js';
import type { LoopDetector } from './loop-detector.js';
import { encodeManifest, manifestFileName, manifestId, type Manifest, type ManifestEntry } from './manifest.js';
import type { StateDb } from './state-db.js';

/** ms the kernel's coarse clock (file ctimes) may lag the real clock: a few jiffies. */
const CTIME_SLACK_MS = 20;

/** What a mesh node lends the runs that push to its peers. */
export interface PushSide {
  root: string;
  db: StateDb;
  identity: { name: string; id: string };
  /** The next manifest sequence number of this node (persistent, increasing). */
  nextSeq(): number;
  detector: LoopDetector;
  clock: Clock;
  /** Local scratch directory (manifests are written there before they travel). */
  scratchDir: string;
  /** false: `meshProtection: off` (plain rsync into the peer's tree; manifests only inform). */
  protection: boolean;
  /** The safety valve: a run that sends deletions while this node lost more than `share` of its
   *  tree, and at least `floor` paths, within `windowMs` (deleted minus made) halts. */
  valve: { share: number; floor: number; windowMs: number };
  /** This node's own net loss of paths (deleted minus made) within the valve's window, not before `since`. */
  recentLoss(since: number): number;
  /** ms between re-reads of a remote peer's identity before a batch (full syncs always read it). */
  identityRecheckMs: number;
}

/**
 * A mesh peer's runs (BatchRunner). Protected: the versions of the queued paths (from the state
 * database, at send time) go as a manifest; the data of files and links is staged first in the
 * peer's `.livemirror/stage/<id>/` (rsync-args.ts stageArgs: identical files are not sent,
 * changed ones travel as deltas); the manifest is delivered last, into `.livemirror/inbox/`, so
 * its arrival tells the peer's daemon that the batch is complete (mesh/apply.ts decides there).
 * Nothing on the peer is overwritten or deleted by the transfer itself. A full sync sends the
 * whole index and stages every file that differs; it never deletes what the peer has.
 * Unprotected (`meshProtection: off`): plain rsync into the peer's tree, as the classic scripts
 * did, plus a manifest that only informs the peer's loop detector.
 *
 * Every full sync, every batch to a local peer and a batch to a remote one at most every
 * `identityRecheckMs` first read the peer's `.livemirror/node.json`: a peer that carries this
 * node's name (with another id) halts the replica — two nodes with one name would corrupt
 * every version vector.
 */
export class MeshPush implements BatchRunner {
  /** When the peer's identity was last read (clock ms); -Infinity: never. */
  private identityAt = -Infinity;
  /** When a release last let a run past the valve (deletions before it no longer count). */
  private releasedAt = -Infinity;

  constructor(
    private readonly side: PushSide,
    private readonly spec: ReplicaSpec,
  ) {}

  async batch(ctx: PassContext, changes: readonly Change[], batch: Batch): Promise<Outcome> {
    // A peer can be replaced under the same address (a node restarted with another name): a
    // local peer is re-read before every batch (one small file), a remote one once a while.
    const due = this.spec.target.kind === 'local' || this.side.clock.now() - this.identityAt >= this.side.identityRecheckMs;
    const peer = due ? await this.checkIdentity(ctx) : undefined;
    if (peer) return peer;
    if (!this.side.protection) return this.unprotected(ctx, () => rsyncPasses.batch(ctx, changes, batch), changes.map((c) => c.path));
    return this.push(ctx, 'batch', this.entriesFor(changes));
  }

  async full(ctx: PassContext, reason: string): Promise<Outcome> {
    const peer = await this.checkIdentity(ctx);
    if (peer) return peer;
    if (!this.side.protection) return this.unprotected(ctx, () => rsyncPasses.full(ctx, reason), []);
    ctx.emit({ kind: 'full-sync-start', reason });
    const entries: ManifestEntry[] = [];
    for (const [p, r] of this.side.db.below('')) entries.push(entry(p, r));
    return this.push(ctx, 'full', entries);
  }

  private async push(ctx: PassContext, kind: Manifest['kind'], offered: ManifestEntry[]): Promise<Outcome> {
    const valve = this.valve(ctx, offered);
    if (valve) return valve;
    const now = this.side.clock.now();
    // A queued local change that a peer's newer version overtook before this batch left: the
    // record is now exactly what that peer sent, and its maker sends it to everyone. (A version
    // merged here after a conflict carries this node's count too, and is sent.)
    const me = this.side.identity.name;
    const entries = kind === 'full' ? offered : offered.filter((e) => e.o === me || !this.side.detector.wasReceived(e.p, e.s, e.vv, now));
    if (kind === 'batch' && entries.length === 0) return { ok: true, stats: zeroStats(), exitCode: 0, renamed: 0, changedUnder: [], deletionsSkipped: false };
    const seq = this.side.nextSeq();
    const m: Manifest = { v: 1, id: manifestId(this.side.identity, seq), from: this.side.identity, seq, kind, at: now, entries };
    const input = this.argsInput(ctx);
    const stats = zeroStats();
    let exitCode = 0;
    let changedUnder: RelPath[] = [];
    let sent = m;
    const data = entries.filter((e) => e.s && e.s.type !== 'dir').map((e) => e.p);
    if (kind === 'full' || data.length > 0) {
      // The real clock in a daemon (ctimes are real time), less the lag of the kernel's coarse
      // clock behind it: a change just after this instant must not get an earlier ctime.
      const stagingFrom = BigInt(Math.floor(this.side.clock.now()) - CTIME_SLACK_MS) * 1_000_000n;
      const staged = await runRsyncPass(ctx, 'stage', stageArgs({ ...input, stageId: m.id, full: kind === 'full' }), {
        ...(kind === 'full' ? { long: true } : { stdin: fileList(data) }),
      });
      if (!staged.ok) return staged;
      addStats(stats, staged.stats);
      exitCode = staged.exitCode;
      // A file changed while rsync staged it may have been staged with the announced size, mtime
      // and mode but another's bytes (rsync takes those from its file list, read before the data;
      // a same-size file renamed over it in between — a peer's version applied here — passes
      // every check the peer can make). Its entry stays out of this manifest and goes again.
      const suspect = await changedWhileStaged(this.side.root, entries, stagingFrom);
      changedUnder = [...new Set([...staged.changedUnder, ...suspect])];
      if (suspect.length > 0) {
        const out = new Set(suspect);
        sent = { ...m, entries: entries.filter((e) => !out.has(e.p)) };
      }
    }
    if (sent.entries.length > 0 || kind === 'full') {
      const delivered = await this.deliver(ctx, sent);
      if (!delivered.ok) return delivered;
    }
    return { ok: true, stats, exitCode, renamed: 0, changedUnder, deletionsSkipped: false };
  }

  /** Plain rsync into the peer, then a manifest for its loop detector (best effort). */
  private async unprotected(ctx: PassContext, run: () => Promise<Outcome>, paths: RelPath[]): Promise<Outcome> {
    const out = await run();
    if (!out.ok || paths.length === 0) return out;
    const now = this.side.clock.now();
    const entries: ManifestEntry[] = [];
    // The root itself ('' — its own attributes changed) is no path a manifest can name.
    for (const p of paths) {
      if (p === '') continue;
      const s = await readState(this.side.root, p).catch(() => undefined);
      this.side.detector.noteSending(p, s, now);
      entries.push({ p, ...(s ? { s } : {}), vv: {}, o: this.side.identity.name });
    }
    if (entries.length === 0) return out;
    const seq = this.side.nextSeq();
    await this.deliver(ctx, { v: 1, id: manifestId(this.side.identity, seq), from: this.side.identity, seq, kind: 'batch', info: true, at: now, entries });
    return out;
  }

  /** The records of the queued paths, and of everything below a deleted or new directory. */
  private entriesFor(changes: readonly Change[]): ManifestEntry[] {
    const out = new Map<RelPath, ManifestEntry>();
    const db = this.side.db;
    for (const c of changes) {
      const r = db.get(c.path);
      if (r) out.set(c.path, entry(c.path, r));
      if (c.recursive || (c.isDir && (c.deleted || !r?.state))) for (const [p, rb] of db.below(c.path)) out.set(p, entry(p, rb));
    }
    return [...out.values()];
  }

  /**
   * The safety valve: a run that sends deletions while this node has lost more than `share` of
   * its tree (and at least `floor` paths: deleted minus made) within the window — an emptied or
   * unmounted source, whether its deletions settle in one batch or in ten — halts this peer
   * instead of wiping it. Renames and rewrites make as many paths as they delete: no loss.
   * A release lets one run go and forgets the loss counted so far.
   */
  private valve(ctx: PassContext, entries: readonly ManifestEntry[]): Outcome | undefined {
    if (ctx.massDeleteAllowed) {
      this.releasedAt = this.side.clock.now();
      return undefined;
    }
    if (!entries.some((e) => !e.s)) return undefined;
    const deleted = this.side.recentLoss(this.releasedAt);
    if (deleted < this.side.valve.floor) return undefined;
    const { live } = this.side.db.counts();
    const share = deleted / (live + deleted);
    if (share <= this.side.valve.share) return undefined;
    return {
      ok: false,
      pass: 'stage',
      cls: {
        verdict: 'fatal',
        reason: `safety valve: ${deleted} of ${live + deleted} paths (${Math.round(share * 100)}%, more than maxDeleteShare ${this.side.valve.share}) were deleted here within ${Math.round(this.side.valve.windowMs / 1000)} s (and not made again); not sent to ${this.spec.name}. Is the source emptied or unmounted? If the deletions are meant: livemirror release ${this.spec.name} (or reload)`,
      },
    };
  }

  /** The manifest, last: into the peer's inbox under a temporary name, then renamed. */
  private async deliver(ctx: PassContext, m: Manifest): Promise<Outcome> {
    const name = manifestFileName(m);
    const t = this.spec.target;
    try {
      if (t.kind === 'local') {
        const inbox = path.join(t.path, meshRel.inbox);
        const tmp = path.join(inbox, `.${name}.tmp`);
        await fsp.writeFile(tmp, encodeManifest(m));
        await fsp.rename(tmp, path.join(inbox, name));
        return { ok: true, stats: zeroStats(), exitCode: 0, renamed: 0, changedUnder: [], deletionsSkipped: false };
      }
      const file = path.join(this.side.scratchDir, name);
      await fsp.writeFile(file, encodeManifest(m));
      try {
        return await runRsyncPass(ctx, 'manifest', deliverArgs({ ...this.argsInput(ctx), file }), {});
      } finally {
        await fsp.unlink(file).catch(() => {});
      }
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return {
        ok: false,
        pass: 'manifest',
        cls: { verdict: 'retry', reason: code === 'ENOENT' ? `${this.spec.name} has no ${meshRel.inbox}/ (is its livemirror running with --mesh?)` : `cannot deliver the manifest: ${errorText(e)}` },
      };
    }
  }

  /** A failure when the peer claims this node's name; undefined when all is well. */
  private async checkIdentity(ctx: PassContext): Promise<Outcome | undefined> {
    let text: string;
    const t = this.spec.target;
    try {
      if (t.kind === 'local') text = await fsp.readFile(path.join(t.path, meshRel.nodeFile), 'utf8');
      else {
        const into = await fsp.mkdtemp(path.join(this.side.scratchDir, 'peer-'));
        try {
          const got = await runRsyncPass(ctx, 'identity', identityArgs({ ...this.argsInput(ctx), into }), {});
          if (!got.ok) return { ...got, cls: { ...got.cls, verdict: got.cls.verdict === 'fatal' ? 'fatal' : 'retry', reason: `${got.cls.reason} (reading ${meshRel.nodeFile} of ${this.spec.name}; is its livemirror running with --mesh?)` } };
          text = await fsp.readFile(path.join(into, 'node.json'), 'utf8');
        } finally {
          await fsp.rm(into, { recursive: true, force: true });
        }
      }
    } catch (e) {
      return { ok: false, pass: 'identity', cls: { verdict: 'retry', reason: `cannot read ${meshRel.nodeFile} of ${this.spec.name} (is its livemirror running with --mesh?): ${errorText(e)}` } };
    }
    let peer: { name?: unknown; id?: unknown };
    try {
      peer = JSON.parse(text) as typeof peer;
    } catch {
      return { ok: false, pass: 'identity', cls: { verdict: 'retry', reason: `${meshRel.nodeFile} of ${this.spec.name} is not JSON` } };
    }
    this.identityAt = this.side.clock.now();
    const me = this.side.identity;
    if (peer.name === me.name && peer.id !== me.id)
      return {
        ok: false,
        pass: 'identity',
        cls: { verdict: 'fatal', reason: `the peer ${this.spec.name} (${this.spec.targetText}) calls itself "${me.name}", like this node: every node needs its own name (--node-name / nodeName)` },
      };
    return undefined;
  }

  private argsInput(ctx: PassContext): ArgsInput {
    return argsBase(ctx);
  }
}

function entry(p: RelPath, r: { state?: ManifestEntry['s']; vv: ManifestEntry['vv']; origin: string }): ManifestEntry {
  return { p, ...(r.state ? { s: r.state } : {}), vv: r.vv, o: r.origin };
}

/** For logs: a few paths of a manifest. */
export function samplePaths(entries: readonly ManifestEntry[], n = 3): string {
  return entries
    .slice(0, n)
    .map((e) => displayPath(e.p))
    .join(', ');
}

/**
 * The data entries whose file changed while rsync staged it (its ctime is at least `sinceNs`):
 * rsync may have staged another state than the manifest names (the peer leaves it for later:
 * apply.ts staged()), or the announced state with another file's bytes (a same-size file renamed
 * over the path between rsync's listing and its read; no check on the peer can tell). They stay
 * out of the manifest and go again: a change the pipeline records is sent anyway, but one undone
 * at once (a chmod and back) would not be. One lstat each; a change before staging began needs
 * no check here — rsync read what the file was then, and the pipeline sends it.
 */
export async function changedWhileStaged(root: string, entries: readonly ManifestEntry[], sinceNs: bigint): Promise<RelPath[]> {
  const out: RelPath[] = [];
  for (const e of entries) {
    if (!e.s || e.s.type === 'dir') continue;
    const st = await fsp.lstat(joinBytes(root, e.p), { bigint: true }).catch(() => undefined);
    if (!st) continue; // gone: its deletion follows
    if (st.ctimeNs >= sinceNs) out.push(e.p);
  }
  return out;
}
