import { excludeMatcher } from './config/excludes.js';
import type { Config } from './config/load.js';
import type { Logger } from './observe/log.js';
import { serveStatus } from './observe/status.js';
import type { DaemonStatus } from './core/status.js';
import type { Change } from './core/change.js';
import { displayPath } from './core/path.js';
import type { FsEvent } from './core/event.js';
import { realClock, type Clock } from './core/clock.js';
import { errorText } from './core/errors.js';
import type { MeshNode } from './mesh/mesh.js';
import { Replica } from './replicate/replica.js';
import { sweepOrphans } from './replicate/ssh/runtime-dir.js';
import { defaults } from './config/defaults.js';
import type { RunRsync } from './replicate/rsync-run.js';
import type { Renamer } from './replicate/transport.js';
import { Settler } from './pipeline/settler.js';
import { StableGate } from './watch/stable-gate.js';
import { createSelectedSource } from './watch/select.js';
import type { EventSource, SourceOptions } from './watch/source.js';

export interface DaemonDeps {
  log: Logger;
  /** Time and timers for everything the daemon runs (settle, replicas, the source). Default: the real clock. */
  clock?: Clock;
  createSource?: (opts: SourceOptions) => EventSource;
  /** How replicas run rsync (default: real processes on `clock`). */
  runRsync?: RunRsync;
  /** The rename transport of every replica (default: by target kind); `null`: none. */
  renamer?: Renamer | null;
  /** Serve the status socket (off in tests that run several daemons without one). */
  statusServer?: boolean;
}

/**
 * Wires a source, the settle stage and one Replica per target. Lifecycle:
 * `start()` sets the watches first (so nothing written during the initial sync is missed), then
 * starts every replica (each runs its initial full sync in parallel, queueing events meanwhile),
 * and resolves once the daemon is ready: watches set and every initial sync finished or retrying.
 * `stop()` stops watching, hands unsettled changes to the replicas, and gives in-flight rsyncs
 * `stopTimeoutMs` to finish before they are cut; changes not sent are logged (the next start's
 * initial sync sends them). `reload()` applies a new config: replicas that did not change keep
 * running; anything else about the source restarts the watch.
 */
export class Daemon {
  private source: EventSource | undefined;
  private settler: Settler | undefined;
  private gate: StableGate | undefined;
  private watcher: string | undefined;
  private replicas = new Map<string, Replica>();
  private mesh: MeshNode | undefined;
  /** The mesh's local versioning, one settled batch after the other. */
  private meshChain: Promise<void> = Promise.resolve();
  private statusClose: (() => Promise<void>) | undefined;
  private pump: Promise<void> | undefined;
  private readonly startedAt: number;
  private readyAt: number | undefined;
  private stopping = false;
  private readonly clock: Clock;
  /** Settles when the event stream fails (e.g. the watch limit was hit at runtime). */
  readonly failed: Promise<Error>;
  private fail: (e: Error) => void = () => {};

  constructor(
    private config: Config,
    private readonly deps: DaemonDeps,
  ) {
    this.clock = deps.clock ?? realClock;
    this.startedAt = this.clock.now();
    this.failed = new Promise((resolve) => (this.fail = resolve));
  }

  private get log(): Logger {
    return this.deps.log;
  }

  async start(): Promise<void> {
    const c = this.config;
    if (this.deps.statusServer !== false) {
      const server = await serveStatus(c.statusSocket, { status: () => this.status(), release: (names) => this.release(names) });
      this.statusClose = server.close;
    }
    const t0 = this.clock.now();
    if (c.mesh) this.mesh = await this.openMesh(c.mesh);
    // A stop() during the walk (SIGTERM while 100,000 directories are watched) closes the source,
    // whose start() then fails: that is not an error, and nothing more may start after it.
    if (this.stopping) return;
    try {
      await this.startWatching();
    } catch (e) {
      if (this.stopping) return;
      throw e;
    }
    if (this.stopping) return;
    const watches = this.source?.stats().watches ?? 0;
    const watchMs = Math.round(this.clock.now() - t0);
    const what = this.watcher === undefined || this.watcher === 'inotify' ? `${watches} directories` : `${this.watcher}, ${watches} kernel ${watches === 1 ? 'watch' : 'watches'}`;
    this.log.info({ event: 'watching', watches, ms: watchMs, ...(this.watcher ? { watcher: this.watcher } : {}) }, `watching ${c.source}: ${what} in ${watchMs} ms`);
    // A mesh node first records what changed while it was down and applies what peers left in
    // its inbox; its initial sync then offers its whole index to each peer (never a --delete).
    const caughtUp = this.mesh ? await this.mesh.catchUp() : [];
    if (c.replicas.some((r) => r.target.kind === 'ssh' && (r.sshConnectionSharing ?? defaults.sshConnectionSharing))) await this.sweepSshMasters();
    if (this.stopping) return;
    for (const spec of c.replicas) this.addReplica(spec, c.initialSync);
    if (this.mesh) {
      await this.mesh.startInbox((changes) => this.sendAll(changes));
      if (!c.initialSync) this.sendAll(caughtUp);
    }
    await Promise.all([...this.replicas.values()].map((r) => r.initialSyncSettled()));
    this.readyAt = this.clock.now();
    const ms = Math.round(this.readyAt - t0);
    const states = [...this.replicas.values()].map((r) => ({ name: r.spec.name, state: r.status().state }));
    const notIdle = states.filter((r) => r.state !== 'idle' && r.state !== 'syncing');
    this.log.info(
      { event: 'ready', ms, replicas: states },
      `ready in ${ms} ms: watches set, initial sync done${notIdle.length ? ` (retrying: ${notIdle.map((r) => `${r.name} ${r.state}`).join(', ')})` : ''}`,
    );
  }

  status(): DaemonStatus {
    const s = this.source?.stats();
    return {
      pid: process.pid,
      source: this.config.source,
      ready: this.readyAt !== undefined,
      startedAt: this.startedAt,
      ...(this.readyAt !== undefined ? { readyAt: this.readyAt } : {}),
      ...(this.watcher ? { watcher: this.watcher } : {}),
      watches: s?.watches ?? 0,
      overflows: s?.overflows ?? 0,
      settling: (this.settler?.size ?? 0) + (this.gate?.size ?? 0),
      replicas: [...this.replicas.values()].map((r) => r.status()),
      ...(this.mesh ? { mesh: this.mesh.status() } : {}),
    };
  }

  /** Lets the named replicas (all when none are named) past the safety valve once; revives them. */
  release(names: readonly string[] = []): string[] {
    const picked = [...this.replicas.values()].filter((r) => names.length === 0 || names.includes(r.spec.name));
    for (const r of picked) r.release();
    if (picked.length > 0) this.log.warn({ event: 'released', replicas: picked.map((r) => r.spec.name) }, `safety valve released for ${picked.map((r) => r.spec.name).join(', ')}`);
    return picked.map((r) => r.spec.name);
  }

  /** Resolves when every replica has sent everything it was given (tests, benchmarks). */
  async whenIdle(): Promise<void> {
    await this.meshChain;
    await Promise.all([...this.replicas.values()].map((r) => r.whenIdle()));
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.stopWatching();
    await this.meshChain;
    await this.mesh?.close();
    await Promise.all([...this.replicas.values()].map((r) => r.stop(this.config.stopTimeoutMs)));
    for (const r of this.replicas.values()) {
      const st = r.status();
      if (st.queued + st.inFlight > 0)
        this.log.warn({ event: 'unsent', replica: st.name, changes: st.queued + st.inFlight }, `${st.name}: ${st.queued + st.inFlight} changes not sent; the next start's initial sync sends them`);
    }
    await this.statusClose?.();
    this.log.info({ event: 'stopped' }, 'stopped');
  }

  /** Applies a new, already validated config (SIGHUP). */
  async reload(next: Config): Promise<void> {
    const prev = this.config;
    this.config = next;
    const sameWatch =
      prev.source === next.source && JSON.stringify(prev.excludes) === JSON.stringify(next.excludes) && JSON.stringify(prev.settle) === JSON.stringify(next.settle);
    const sameTunables = JSON.stringify(prev.tunables) === JSON.stringify(next.tunables);
    const wanted = new Map(next.replicas.map((s) => [s.name, s]));
    for (const [name, r] of this.replicas) {
      const spec = wanted.get(name);
      if (!sameWatch || !sameTunables || !spec || JSON.stringify(spec) !== JSON.stringify(r.spec)) {
        await r.stop(next.stopTimeoutMs);
        this.replicas.delete(name);
        this.log.info({ event: 'replica-removed', replica: name }, `${name}: stopped by reload`);
      }
    }
    if (!sameWatch) {
      await this.stopWatching();
      await this.startWatching();
    }
    for (const spec of next.replicas) if (!this.replicas.has(spec.name)) this.addReplica(spec, true);
    // A reload is how an operator says "fixed it" (a password file's contents, a host key): revive.
    // (It also lets a replica stopped by the safety valve run once past it.)
    for (const r of this.replicas.values()) if (r.status().state === 'halted') {
      r.release();
      r.requestFullSync('config reloaded');
    }
    this.log.info({ event: 'reloaded', origin: next.origin, restartedWatch: !sameWatch }, 'configuration reloaded');
  }

  /** ssh masters left by a daemon that died without stopping them (replicate/ssh/runtime-dir.ts). */
  private async sweepSshMasters(): Promise<void> {
    const swept = await sweepOrphans();
    if (swept.length > 0) this.log.info({ event: 'ssh-orphans', dirs: swept }, `stopped the ssh masters of ${swept.length} livemirror process(es) that died: ${swept.join(', ')}`);
  }

  private addReplica(spec: Config['replicas'][number], initialSync: boolean): void {
    const mesh = this.mesh;
    const r = new Replica(spec, this.config.tunables, {
      root: this.config.source,
      excludes: this.config.excludes,
      log: this.log.child({ replica: spec.name }),
      clock: this.clock,
      ...(this.deps.runRsync ? { runRsync: this.deps.runRsync } : {}),
      ...(this.deps.renamer !== undefined ? { renamer: this.deps.renamer } : {}),
      // A protected mesh peer renames nothing itself: its own daemon applies what it is sent.
      ...(mesh ? { runner: mesh.runnerFor(spec), ...(this.config.mesh?.protection ? { renamer: null } : {}) } : {}),
    });
    this.replicas.set(spec.name, r);
    r.start({ initialSync });
  }

  private async startWatching(): Promise<void> {
    const c = this.config;
    const opts: SourceOptions = { root: c.source, isExcluded: excludeMatcher(c.excludes), clock: this.clock };
    const selected = this.deps.createSource ? undefined : createSelectedSource(c.watcher, opts);
    const source = selected ?? (this.deps.createSource as (o: SourceOptions) => EventSource)(opts);
    this.source = source; // before start(): stop() must be able to close it while it walks
    await source.start();
    this.watcher = selected?.choice?.name;
    if (selected?.choice) this.log.info({ event: 'watcher', watcher: selected.choice.name, reason: selected.choice.reason }, `watching ${c.source} with ${selected.choice.reason}`);
    const gate = new StableGate({
      root: c.source,
      ...defaults.stableGate,
      stableForMs: c.settle.stableForMs,
      maxHoldMs: c.settle.maxHoldMs,
      clock: this.clock,
      release: (changes) => this.dispatch(changes),
    });
    this.gate = gate;
    this.settler = new Settler(c.settle, (changes) => gate.add(changes), this.clock);
    this.pump = this.consume(source, this.settler);
  }

  private async stopWatching(): Promise<void> {
    await this.source?.close();
    await this.pump;
    this.settler?.flush();
    this.gate?.flush();
    this.source = undefined;
    this.settler = undefined;
    this.gate = undefined;
  }

  private async consume(source: EventSource, settler: Settler): Promise<void> {
    try {
      for await (const batch of source.events()) {
        this.trace(batch);
        for (const e of batch)
          if (e.kind === 'overflow')
            this.log.warn({ event: 'overflow', path: displayPath(e.path) }, `events were lost (a full kernel queue, lost audit records, a directory gone before its events were read): rescanning ${e.path === '' ? 'the whole tree' : displayPath(e.path)}`);
        settler.add(batch);
      }
    } catch (e) {
      this.log.error({ event: 'watch-failed', err: (e as Error).message }, (e as Error).message);
      this.fail(e as Error);
    }
  }

  private dispatch(changes: Change[]): void {
    const mesh = this.mesh;
    if (!mesh) return this.sendAll(changes);
    // In a mesh only this node's own versions go out (mesh/local.ts); in order, one call at a time.
    this.meshChain = this.meshChain.then(async () => {
      try {
        this.sendAll(await mesh.versions(changes, (later) => this.sendAll(later)));
      } catch (e) {
        this.log.error({ event: 'mesh-failed', err: errorText(e) }, `recording local versions failed: ${errorText(e)}; a full sync follows`);
        for (const r of this.replicas.values()) r.requestFullSync('local versions could not be recorded');
      }
    });
  }

  private sendAll(changes: Change[]): void {
    if (changes.length === 0) return;
    for (const r of this.replicas.values()) r.enqueue(changes);
  }

  private async openMesh(m: NonNullable<Config['mesh']>): Promise<MeshNode> {
    // Loaded only for a mesh: LMDB (native) and the manifest schema are not a one-way daemon's cost.
    const { MeshNode } = await import('./mesh/mesh.js');
    const node = await MeshNode.open({
      root: this.config.source,
      nodeName: m.nodeName,
      protection: m.protection,
      tombstoneTtlMs: m.tombstoneTtlMs,
      maxDeleteShare: m.maxDeleteShare,
      isExcluded: excludeMatcher(this.config.excludes),
      log: this.log.child({ mesh: m.nodeName }),
      clock: this.clock,
    });
    this.log.info(
      { event: 'mesh', node: node.identity.name, id: node.identity.id, protection: m.protection },
      `mesh node ${node.identity.name} (id ${node.identity.id})${m.protection ? '' : ': PROTECTION OFF — echoes and loops are not prevented'}`,
    );
    return node;
  }

  private trace(batch: readonly FsEvent[]): void {
    if (!this.log.isLevelEnabled('trace')) return;
    for (const e of batch) this.log.trace({ event: 'fs', kind: e.kind, path: displayPath(e.path), from: e.from === undefined ? undefined : displayPath(e.from) });
  }
}
