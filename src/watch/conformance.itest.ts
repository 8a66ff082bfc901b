// The conformance table: one list of behaviours, run against every change source this machine
// can run. Each row changes a tree from a process of its own (test/support/fs-actor.mjs), feeds
// what the source reports to an oracle that mirrors the tree the simplest correct way (copy what
// an event names, delete what is gone, rename what moved, re-copy what an overflow names), and
// requires the mirror to converge: a missed event leaves it diverged. Rows that need more (a
// paired move, the writer's pid, the own writes filtered) check that on the events too.
//
// Needs root for fanotify (and linux-audit); CI runs as root, and the first test fails when a
// source that must run on this platform cannot. Runs unchanged on FreeBSD (bsm-audit, poll).
import { execa } from 'execa';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FsEvent } from '../core/event.js';
import { isWithin, joinBytes, joinRel, parentOf, type RelPath } from '../core/path.js';
import { digestDir } from '../../e2e/harness/local-tree.js';
import type { EventSource, SourceOptions } from './source.js';
import { createInotifySource } from './inotify.js';
import { createFanotifySource } from './fanotify.js';
import { createPollSource } from './poll.js';
import { createLinuxAuditSource } from './linux-audit.js';
import { createBsmAuditSource } from './bsm-audit.js';
import type { SourceName } from './select.js';

/** How a source is made for the table, and what it is expected to know. */
interface SourceUnderTest {
  name: SourceName;
  /** Why it cannot run on this machine; undefined when it can. */
  unavailable(): string | undefined;
  /** True when CI's platform (Linux, root) must be able to run it. */
  requiredHere: boolean;
  /** `smallQueue`: the source buffers as little as it can, so a stalled reader overflows the kernel's queue. */
  create(opts: SourceOptions, o: { smallQueue?: boolean }): EventSource;
  /** What it knows of the writer (it then drops the own process and `ignoreWriters`); false: nothing. */
  knowsWriter: false | { uid: boolean };
  /** A rename inside the tree comes as one `move` event. */
  pairsMoves: boolean;
  /** Has a queue that can overflow (the overflow row runs). */
  overflows: boolean;
}

const isRoot = process.getuid?.() === 0;
const linux = process.platform === 'linux';
const freebsd = process.platform === 'freebsd';

const SOURCES: SourceUnderTest[] = [
  {
    name: 'inotify',
    unavailable: () => (linux ? undefined : 'Linux only'),
    requiredHere: linux,
    create: (opts, o) => createInotifySource({ ...opts, ...(o.smallQueue ? { maxQueuedBatches: 1, maxBatchBytes: 64 * 1024 } : {}) }),
    knowsWriter: false,
    pairsMoves: true,
    overflows: true,
  },
  {
    name: 'fanotify',
    unavailable: () => (!linux ? 'Linux only' : !isRoot ? 'needs root' : undefined),
    requiredHere: linux && isRoot,
    create: (opts, o) => createFanotifySource({ ...opts, ...(o.smallQueue ? { maxQueuedBatches: 1, maxBatchBytes: 64 * 1024 } : {}) }),
    knowsWriter: { uid: false },
    pairsMoves: true,
    overflows: true,
  },
  {
    name: 'poll',
    unavailable: () => undefined,
    requiredHere: true,
    // A short interval: the table waits on convergence, not on a pass.
    create: (opts) => createPollSource({ ...opts, intervalMs: 50 }),
    knowsWriter: false,
    pairsMoves: true,
    overflows: false,
  },
  {
    // Needs root and the initial network namespace (the audit multicast group reaches no other).
    name: 'linux-audit',
    unavailable: () => (!linux ? 'Linux only' : !isRoot ? 'needs root (CAP_AUDIT_CONTROL, CAP_AUDIT_READ)' : undefined),
    requiredHere: linux && isRoot,
    create: (opts, o) =>
      createLinuxAuditSource({ ...opts, ...(o.smallQueue ? { receiveBufferBytes: 4096, maxQueuedBatches: 1, maxBatchRecords: 16 } : {}) }),
    knowsWriter: { uid: true },
    pairsMoves: true,
    overflows: true,
  },
  {
    // The FreeBSD audit trail: root, and auditd running (docs/watchers/bsm-audit.md). On a FreeBSD
    // host (the VMs of issue 10) this table runs unchanged with it; its decoder is tested on
    // fixtures everywhere (src/watch/bsm/).
    name: 'bsm-audit',
    unavailable: () => (!freebsd ? 'FreeBSD only' : !isRoot ? 'needs root' : undefined),
    requiredHere: freebsd && isRoot,
    create: (opts) => createBsmAuditSource(opts),
    knowsWriter: { uid: true },
    pairsMoves: true,
    overflows: false,
  },
];

const available = SOURCES.filter((s) => s.unavailable() === undefined);

it('every source this platform must run is available here', () => {
  const missing = SOURCES.filter((s) => s.requiredHere && s.unavailable() !== undefined).map((s) => `${s.name}: ${s.unavailable()}`);
  expect(missing).toEqual([]);
  expect(available.length).toBeGreaterThan(0);
});

type Op = [string, ...unknown[]];

/** One behaviour: `setup` before the source starts, `act` after, both by another process. */
interface Row {
  name: string;
  setup?: (outside: string) => Op[];
  act: (outside: string) => Op[];
  /** Extra checks on the events once the mirror converged. */
  check?: (events: FsEvent[], s: SourceUnderTest, writer: { pid: number }) => void;
}

const moved = (events: FsEvent[], from: RelPath, to: RelPath) => events.some((e) => e.kind === 'move' && e.from === from && e.path === to);

const reportedOpen = (events: FsEvent[], path: RelPath) => events.filter((e) => e.path === path && e.closed === false);

const ROWS: Row[] = [
  { name: 'create a file', act: () => [['write', 'a.txt', 'hello\n']] },
  { name: 'write into a file', setup: () => [['write', 'a.txt', 'old\n']], act: () => [['write', 'a.txt', 'new content\n']] },
  { name: 'append to a file', setup: () => [['write', 'a.txt', 'one\n']], act: () => [['append', 'a.txt', 'two\n']] },
  { name: 'truncate a file', setup: () => [['write', 'a.txt', 'a longer text\n']], act: () => [['truncate', 'a.txt', 3]] },
  { name: 'chmod a file', setup: () => [['write', 'a.txt', 'x\n']], act: () => [['chmod', 'a.txt', 0o600]] },
  { name: 'chmod a directory', setup: () => [['mkdirp', 'd']], act: () => [['chmod', 'd', 0o700]] },
  { name: 'delete a file', setup: () => [['write', 'a.txt', 'x\n']], act: () => [['rm', 'a.txt']] },
  { name: 'delete a tree', setup: () => [['mkdirp', 'd/e/f'], ['write', 'd/e/f/x', '1'], ['write', 'd/y', '2']], act: () => [['rm', 'd']] },
  {
    name: 'rename a file',
    setup: () => [['write', 'a.txt', 'x\n']],
    act: () => [['rename', 'a.txt', 'b.txt']],
    check: (ev, s) => s.pairsMoves && expect(moved(ev, 'a.txt', 'b.txt'), 'one move event').toBe(true),
  },
  {
    name: 'rename a directory',
    setup: () => [['mkdirp', 'd/e'], ['write', 'd/e/x', '1']],
    act: () => [['rename', 'd', 'D'], ['write', 'D/e/after', '2']],
    check: (ev, s) => s.pairsMoves && expect(moved(ev, 'd', 'D'), 'one move event').toBe(true),
  },
  {
    name: 'rename across directories',
    setup: () => [['mkdirp', 'a'], ['mkdirp', 'b'], ['write', 'a/x', '1']],
    act: () => [['rename', 'a/x', 'b/y']],
    check: (ev, s) => s.pairsMoves && expect(moved(ev, 'a/x', 'b/y'), 'one move event').toBe(true),
  },
  { name: 'rename over an existing file', setup: () => [['write', 'a', 'new\n'], ['write', 'b', 'old\n']], act: () => [['rename', 'a', 'b']] },
  { name: 'mkdir -p, then a deep write', act: () => [['mkdirp', 'p/q/r/s/t'], ['write', 'p/q/r/s/t/deep.txt', 'deep\n']] },
  {
    name: 'a tree moved in from outside',
    setup: (out) => [['mkdirp', `${out}/t/u`], ['write', `${out}/t/u/x`, '1'], ['write', `${out}/t/y`, '2']],
    act: (out) => [['rename', `${out}/t`, 'in']],
  },
  {
    name: 'a tree moved out',
    setup: () => [['mkdirp', 't/u'], ['write', 't/u/x', '1']],
    act: (out) => [['rename', 't', `${out}/t`]],
  },
  // A create whose close never comes must not be reported open: it held the new directory above
  // it, and all churn below, until maxHold (the e2e faults stall on fanotify).
  { name: 'a hard link', setup: () => [['write', 'a', 'x\n']], act: () => [['link', 'a', 'b']], check: (ev) => expect(reportedOpen(ev, 'b'), 'the link reported open').toEqual([]) },
  { name: 'a symlink', act: () => [['symlink', 'no/such/target', 'l']], check: (ev) => expect(reportedOpen(ev, 'l'), 'the symlink reported open').toEqual([]) },
  {
    name: 'hostile names (newline, non-UTF-8 byte, leading dash, spaces)',
    act: () => [['mkdirp', '-d ir\nx'], ['write', '-d ir\nx/\xff\xfe name ', 'x'], ['write', ' ; rm -rf #', 'y']],
  },
  {
    name: 'the writer pid and uid',
    act: () => [['write', 'w.txt', 'x\n']],
    check: (ev, s, writer) => {
      if (!s.knowsWriter) return;
      const mine = ev.filter((e) => e.path === 'w.txt');
      expect(mine.length).toBeGreaterThan(0);
      for (const e of mine) expect(e.pid).toBe(writer.pid);
      if (s.knowsWriter.uid) for (const e of mine) expect(e.uid).toBe(process.getuid?.());
    },
  },
];

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tempDir(tag: string): string {
  const dir = fs.mkdtempSync(join(tmpdir(), `livemirror-conf-${tag}-`));
  cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const actor = join(import.meta.dirname, '../../test/support/fs-actor.mjs');

/** Runs `ops` in a process of its own (its pid is the writer's); resolves that pid. */
async function act(root: string, ops: Op[], uid?: number): Promise<number> {
  const child = execa(process.execPath, [actor, root, JSON.stringify(ops)], { ...(uid !== undefined ? { uid, gid: uid } : {}), timeout: 60_000 });
  await child;
  return child.pid ?? -1;
}

/** The mirror: what a correct consumer of the events would have. Paths are byte strings. */
class Oracle {
  constructor(
    readonly root: string,
    readonly mirror: string,
  ) {}

  apply(e: FsEvent): void {
    if (e.kind === 'overflow') return this.copy(e.path, true);
    if (e.kind === 'move' && e.from !== undefined) {
      const from = joinBytes(this.mirror, e.from);
      const to = joinBytes(this.mirror, e.path);
      if (fs.existsSync(from)) {
        fs.mkdirSync(joinBytes(this.mirror, parentOf(e.path)), { recursive: true });
        fs.rmSync(to, { recursive: true, force: true });
        fs.renameSync(from, to);
      }
      this.copy(e.from, false);
      return this.copy(e.path, true);
    }
    this.copy(e.path, e.kind === 'create');
  }

  /** Makes mirror/p what root/p is now (a directory's content too when `deep`). */
  copy(p: RelPath, deep: boolean): void {
    const src = joinBytes(this.root, p);
    const dst = joinBytes(this.mirror, p);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(src);
    } catch {
      fs.rmSync(dst, { recursive: true, force: true });
      return;
    }
    const old = fs.lstatSync(dst, { throwIfNoEntry: false });
    if (old && (old.isDirectory() !== st.isDirectory() || st.isSymbolicLink())) fs.rmSync(dst, { recursive: true, force: true });
    if (p !== '') fs.mkdirSync(joinBytes(this.mirror, parentOf(p)), { recursive: true });
    if (st.isSymbolicLink()) {
      fs.symlinkSync(fs.readlinkSync(src, { encoding: 'buffer' }), dst);
    } else if (st.isDirectory()) {
      fs.mkdirSync(dst, { recursive: true });
      fs.chmodSync(dst, st.mode & 0o7777);
      if (!deep) return;
      const names = new Set(fs.readdirSync(src, { encoding: 'buffer' }).map((n) => n.toString('latin1')));
      for (const n of fs.readdirSync(dst, { encoding: 'buffer' }))
        if (!names.has(n.toString('latin1'))) fs.rmSync(Buffer.concat([dst, Buffer.from('/'), n]), { recursive: true, force: true });
      for (const n of names) this.copy(joinRel(p, n), true);
    } else {
      try {
        fs.copyFileSync(src, dst);
        fs.chmodSync(dst, st.mode & 0o7777);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // gone meanwhile: its delete event follows
      }
    }
  }
}

/** The oracle copies without times: compare everything else. */
const treeOf = (root: string) => digestDir(root, { mtime: 'none' });

function differences(a: Map<string, string>, b: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [p, v] of a) if (b.get(p) !== v) out.push(`${JSON.stringify(p)}: ${v} / mirror ${b.get(p) ?? 'missing'}`);
  for (const p of b.keys()) if (!a.has(p)) out.push(`${JSON.stringify(p)}: missing / mirror has it`);
  return out;
}

/** Reads a source's events into `events`; `paused` holds the reader back (the kernel queue fills). */
class Reader {
  readonly events: FsEvent[] = [];
  error: unknown;
  #resume: (() => void) | undefined;
  #gate: Promise<void> = Promise.resolve();
  readonly done: Promise<void>;

  constructor(source: EventSource) {
    this.done = (async () => {
      try {
        for await (const batch of source.events()) {
          await this.#gate;
          this.events.push(...batch);
        }
      } catch (e) {
        this.error = e;
      }
    })();
  }

  pause(): void {
    this.#gate = new Promise((r) => (this.#resume = r));
  }

  resume(): void {
    this.#resume?.();
  }
}

interface Run {
  root: string;
  source: EventSource;
  reader: Reader;
  oracle: Oracle;
}

async function startRun(s: SourceUnderTest, setup: Op[], outside: string, o: { smallQueue?: boolean; root?: string; opts?: Partial<SourceOptions> } = {}): Promise<Run> {
  const root = o.root ?? tempDir(`${s.name}-root`);
  const mirror = tempDir(`${s.name}-mirror`);
  if (setup.length) await act(root, setup);
  const oracle = new Oracle(root, mirror);
  oracle.copy('', true);
  const source = s.create({ root, isExcluded: () => false, ...o.opts }, o);
  cleanups.push(() => source.close());
  await source.start();
  void outside;
  return { root, source, reader: new Reader(source), oracle };
}

/**
 * Applies events as they come until the mirror equals the tree (or the deadline passes). The
 * trees are compared only once no event came for a moment: digesting is synchronous, and while
 * it runs the reader cannot drain the source.
 */
async function converge(run: Run, deadlineMs = 15_000): Promise<void> {
  let applied = 0;
  const deadline = performance.now() + deadlineMs;
  let diff: string[] = [];
  for (let round = 0; round < 100_000; round++) {
    if (run.reader.error) throw run.reader.error as Error;
    const before = applied;
    const events = run.reader.events;
    // A rescan of the whole tree supersedes everything before it.
    const rescan = events.findLastIndex((e, i) => i >= applied && e.kind === 'overflow' && e.path === '');
    if (rescan > applied) applied = rescan;
    // Copying reads the disk as it is now: once per path for a run of events without moves.
    const pending = new Map<RelPath, boolean>();
    const flush = () => {
      for (const [p, deep] of pending) run.oracle.copy(p, deep);
      pending.clear();
    };
    for (; applied < events.length; applied++) {
      const e = events[applied] as FsEvent;
      if (e.kind === 'move' || e.kind === 'overflow') {
        flush();
        run.oracle.apply(e);
      } else pending.set(e.path, (pending.get(e.path) ?? false) || e.kind === 'create');
    }
    flush();
    if (applied === before || round === 0 || performance.now() > deadline) {
      diff = differences(treeOf(run.root), treeOf(run.oracle.mirror));
      if (diff.length === 0) return;
      if (performance.now() > deadline) break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`not converged:\n  ${diff.slice(0, 10).join('\n  ')}\nevents:\n  ${run.reader.events.map((e) => JSON.stringify(e)).slice(-40).join('\n  ')}`);
}

/** Waits until `pred` holds on the events so far. */
async function until(run: Run, what: string, pred: (ev: FsEvent[]) => boolean, deadlineMs = 15_000): Promise<void> {
  const deadline = performance.now() + deadlineMs;
  while (!pred(run.reader.events)) {
    if (run.reader.error) throw run.reader.error as Error;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; events:\n${run.reader.events.map((e) => JSON.stringify(e)).join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.each(available.map((s) => [s.name, s] as const))('%s', (_name, s) => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s: converges', async (_row, row) => {
    const outside = tempDir(`${s.name}-outside`);
    const run = await startRun(s, row.setup?.(outside) ?? [], outside);
    const pid = await act(run.root, row.act(outside));
    await converge(run);
    row.check?.(run.reader.events, s, { pid });
  });

  it('never reports a path outside its tree', async () => {
    const outside = tempDir(`${s.name}-outside`);
    const run = await startRun(s, [], outside);
    await act(outside, [['write', 'x', '1'], ['mkdirp', 'd'], ['write', 'd/y', '2']]);
    await act(run.root, [['write', 'marker', '1']]);
    await until(run, 'the marker', (ev) => ev.some((e) => e.path === 'marker'));
    expect(run.reader.events.filter((e) => e.path !== 'marker' && e.kind !== 'overflow')).toEqual([]);
  });

  it('reports only what is not excluded', async () => {
    const outside = tempDir(`${s.name}-outside`);
    const run = await startRun(s, [['mkdirp', 'cache']], outside, { opts: { isExcluded: (p: RelPath) => isWithin(p, 'cache') || p.endsWith('.tmp') } });
    await act(run.root, [['write', 'cache/x', '1'], ['mkdirp', 'cache/deep/er'], ['write', 'a.tmp', '1'], ['write', 'marker', '1']]);
    await until(run, 'the marker', (ev) => ev.some((e) => e.path === 'marker'));
    expect(run.reader.events.filter((e) => isWithin(e.path, 'cache') || e.path.endsWith('.tmp'))).toEqual([]);
  });

  if (s.knowsWriter) {
    it("drops the daemon's own writes and those of ignoreWriters", async () => {
      const outside = tempDir(`${s.name}-outside`);
      // The ignored writer's pid must be known before the source starts: it waits first.
      const root = tempDir(`${s.name}-root`);
      const ignored = execa(process.execPath, [actor, root, JSON.stringify([['sleep', 1500], ['write', 'ignored.txt', 'x']])]);
      const run = await startRun(s, [], outside, { root, opts: { ignoreWriters: { pids: [ignored.pid ?? -1] } } });
      fs.writeFileSync(join(run.root, 'own.txt'), 'written by this process\n');
      await ignored;
      await act(run.root, [['write', 'marker', '1']]);
      await until(run, 'the marker', (ev) => ev.some((e) => e.path === 'marker'));
      expect(run.reader.events.filter((e) => e.path === 'own.txt' || e.path === 'ignored.txt')).toEqual([]);
    });
  }

  if (s.overflows) {
    it('a kernel queue overflow becomes a rescan, and the mirror converges', async () => {
      const outside = tempDir(`${s.name}-outside`);
      const run = await startRun(s, [['write', 'before', '0']], outside, { smallQueue: true });
      run.reader.pause();
      await act(run.root, [['many', 'flood', 20_000], ['rm', 'before']]);
      run.reader.resume();
      await until(run, 'an overflow', (ev) => ev.some((e) => e.kind === 'overflow'), 30_000);
      await converge(run, 60_000);
    }, 120_000);
  }
});
