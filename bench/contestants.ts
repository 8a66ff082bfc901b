/**
 * The contestants, each a way to keep 4 local replicas equal to a source, started as a user
 * would and stopped by pid:
 *  - livemirror      the built CLI at its defaults, a separate process with a status socket;
 *  - lsyncd-default  lsyncd's default.rsync as shipped (delay 15 s: its latency is its delay);
 *  - lsyncd-tuned    the same with delay = 0 and maxProcesses = 4 in every sync;
 *  - rsync-loop      the cron answer: `rsync -a --delete SOURCE/ REPLICA/` every 5 s, per
 *                    replica in parallel, run by the benchmark itself (a run that overruns a
 *                    tick skips to the next one, like cron with `flock -n`);
 *  - floor           burst only: one `rsync -a` of the finished tree to the 4 replicas in parallel.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';
import { execa, type ResultPromise } from 'execa';
import { fetchStatus } from '../src/observe/status-client.js';
import { waitUntil } from '../e2e/harness/poll.js';
import type { ContestantName } from './config.js';
import { ensureLsyncd } from './lsyncd-install.js';
import { isStartupFinished, lsyncdConfig } from './lsyncd-config.js';
import { stopProcess, withTimeout, type BenchTree } from './processes.js';

export const cliMain = path.resolve(import.meta.dirname, '..', 'dist/cli/main.js');

/** A contestant replicating one tree. */
export interface Running {
  /** The burst's last write is done (floor starts its rsyncs here). */
  afterWrites?(): void;
  /** Counts the contestant reports itself, cumulative (livemirror: batches and full syncs). */
  selfCounts(): Promise<Record<string, number>>;
  /** Stops everything it started (by pid, SIGTERM then SIGKILL); never rejects. */
  stop(): Promise<void>;
  /** The daemon's pid, for contestants that are one process (the idle workload reads its /proc). */
  readonly pid?: number | undefined;
}

export interface Contestant {
  readonly name: ContestantName;
  /** What it runs, for the report. */
  readonly runs: string;
  /** Deadline of one latency sample; absent: no latency workload (floor). */
  readonly latencyDeadlineMs?: number;
  /** A fixed sync period: latency samples start at a random phase within it (rsync-loop). */
  readonly periodMs?: number;
  /** Whether it can run here: lsyncd may be missing. */
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Starts replicating `t.source` to `t.replicas`; resolves once the initial sync is done. */
  start(t: BenchTree, extraArgs?: readonly string[]): Promise<Running>;
}

export const always = async () => ({ ok: true as const });

/** lsyncd is installed (or installed now, as root); else why not. */
export async function lsyncdAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const a = await ensureLsyncd();
  return a.ok ? { ok: true } : a;
}

/** The last lines a process printed, for an error message. */
function tail(max = 30) {
  const lines: string[] = [];
  return {
    push: (l: string) => {
      lines.push(l.length > 500 ? `${l.slice(0, 500)}…` : l);
      if (lines.length > max) lines.shift();
    },
    text: () => lines.join('\n'),
  };
}

export const livemirror: Contestant = {
  name: 'livemirror',
  runs: '`node dist/cli/main.js run SOURCE R1 R2 R3 R4` at its defaults, with a status socket',
  latencyDeadlineMs: 30_000,
  available: always,
  async start(t, extraArgs = []) {
    const socket = path.join(t.dir, 'status.sock');
    return runLivemirror(['run', '--status-socket', socket, '--log-format', 'json', '--log-level', 'warn', ...extraArgs, t.source, ...t.replicas], socket);
  },
};

/**
 * Starts the built CLI with `cliArgs` (which name `socket` as its status socket, on the command
 * line or in its config file) and resolves once its status says ready (the initial sync done).
 */
export async function runLivemirror(cliArgs: readonly string[], socket: string): Promise<RunningLivemirror> {
  const proc = execa('node', [cliMain, ...cliArgs], { reject: false, stdout: 'ignore', stderr: 'inherit' });
  try {
    await waitUntil(async () => {
      if (proc.exitCode !== null) throw new Error(`livemirror exited (${proc.exitCode}) before it was ready`);
      return (await fetchStatus(socket).catch(() => undefined))?.ready === true;
    }, 'livemirror ready', 600_000, 50);
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
  return {
    pid: proc.pid,
    socket,
    async selfCounts() {
      const s = await fetchStatus(socket);
      return { rsyncBatches: s.replicas.reduce((n, r) => n + r.batches + r.fullSyncs, 0) };
    },
    stop: () => stopProcess(proc),
  };
}

/** A running livemirror also tells its pid and status socket (bigtree, status). */
export type RunningLivemirror = Running & { pid: number | undefined; socket: string };
export const startLivemirror = (t: BenchTree, extraArgs: readonly string[] = []) => livemirror.start(t, extraArgs) as Promise<RunningLivemirror>;

function lsyncd(flavour: 'default' | 'tuned'): Contestant {
  return {
    name: flavour === 'default' ? 'lsyncd-default' : 'lsyncd-tuned',
    runs:
      flavour === 'default'
        ? '`lsyncd -nodaemon CONFIG`, one `sync { default.rsync }` per replica at its defaults (delay 15 s, maxProcesses 1)'
        : '`lsyncd -nodaemon CONFIG`, one `sync { default.rsync, delay = 0, maxProcesses = 4 }` per replica',
    // default.rsync waits 15 s before it runs rsync: 20 s leaves 5 s for the rsync itself.
    latencyDeadlineMs: flavour === 'default' ? 20_000 : 30_000,
    available: lsyncdAvailable,
    async start(t) {
      const config = path.join(t.dir, `lsyncd-${flavour}.lua`);
      writeFileSync(config, lsyncdConfig({ source: t.source, replicas: t.replicas, flavour }));
      return runLsyncd(config, t.replicas.length);
    },
  };
}

/** Starts `lsyncd -nodaemon config` and resolves once each of its `syncs` has finished its startup rsync. */
export async function runLsyncd(config: string, syncs: number): Promise<Running> {
  const proc = execa('lsyncd', ['-nodaemon', config], { reject: false, buffer: false, stdout: 'pipe', stderr: 'pipe' });
  const out = tail();
  let started = 0;
  let rsyncCalls = 0;
  for (const stream of [proc.stdout, proc.stderr]) {
    readline.createInterface({ input: stream }).on('line', (line) => {
      out.push(line);
      if (isStartupFinished(line)) started++;
      if (line.includes('Calling rsync with filter-list')) rsyncCalls++;
    });
  }
  try {
    await waitUntil(() => {
      if (proc.exitCode !== null) throw new Error(`lsyncd exited (${proc.exitCode}) before its startup syncs finished:\n${out.text()}`);
      return started >= syncs;
    }, `lsyncd startup syncs (${syncs})`, 120_000, 20);
  } catch (e) {
    await stopProcess(proc);
    throw e;
  }
  return {
    pid: proc.pid,
    selfCounts: async () => ({ rsyncCalls }),
    stop: () => stopProcess(proc),
  };
}

export const lsyncdDefault = lsyncd('default');
export const lsyncdTuned = lsyncd('tuned');

export const RSYNC_LOOP_PERIOD_MS = 5000;

export const rsyncLoop: Contestant = {
  name: 'rsync-loop',
  runs: '`rsync -a --delete SOURCE/ REPLICA/` every 5 s, per replica in parallel (a run past a tick waits for the next tick)',
  // One period, the rsync itself and a margin.
  latencyDeadlineMs: 6_000,
  periodMs: RSYNC_LOOP_PERIOD_MS,
  available: always,
  async start(t) {
    const ac = new AbortController();
    const running = new Set<ResultPromise>();
    let runs = 0;
    const errors: string[] = [];
    const firstRoundDone = t.replicas.map(() => false);
    const t0 = performance.now();
    const loops = t.replicas.map(async (r, i) => {
      // Bounded: at most one round a period for a day.
      for (let round = 0; round < (24 * 3600_000) / RSYNC_LOOP_PERIOD_MS && !ac.signal.aborted; round++) {
        const child = execa('rsync', ['-a', '--delete', `${t.source}/`, `${r}/`], { reject: false, stdout: 'ignore', stderr: 'pipe' });
        running.add(child);
        runs++;
        const res = await child;
        running.delete(child);
        if (res.exitCode !== 0 && !ac.signal.aborted) errors.push(`${r}: rsync exit ${res.exitCode}: ${String(res.stderr).trim().slice(0, 300)}`);
        firstRoundDone[i] = true;
        const now = performance.now() - t0;
        const next = (Math.floor(now / RSYNC_LOOP_PERIOD_MS) + 1) * RSYNC_LOOP_PERIOD_MS;
        await delay(next - now, undefined, { signal: ac.signal }).catch(() => undefined);
      }
    });
    const stop = async () => {
      ac.abort();
      await Promise.all([...running].map((c) => stopProcess(c)));
      await withTimeout(Promise.all(loops), 15_000, 'rsync-loop: the loops to end').catch((e: Error) => console.error(`bench: ${e.message}`));
    };
    try {
      await waitUntil(() => firstRoundDone.every(Boolean), 'rsync-loop: the first round to every replica', 120_000, 20);
      if (errors.length > 0) throw new Error(`rsync-loop: ${errors.join('; ')}`);
    } catch (e) {
      await stop();
      throw e;
    }
    return { selfCounts: async () => ({ rsyncRuns: runs }), stop };
  },
};

export const floor: Contestant = {
  name: 'floor',
  runs: 'one `rsync -a SOURCE/ REPLICA/` per replica, in parallel, started after the last write',
  available: always,
  start: async (t) => rsyncsAfterWrites(t.replicas.map((r) => ['-a', `${t.source}/`, `${r}/`])),
};

/**
 * A floor: nothing until the writes are done, then one rsync per argv, in parallel. Its stderr
 * is printed when it fails only (over ssh, sshd tells every session of a user without a home so).
 */
export function rsyncsAfterWrites(argvs: readonly (readonly string[])[]): Running {
  const running = new Set<ResultPromise>();
  let runs = 0;
  return {
    afterWrites() {
      for (const argv of argvs) {
        const child = execa('rsync', argv, { reject: false, stdout: 'ignore', stderr: 'pipe' });
        running.add(child);
        runs++;
        void child.then((r) => {
          running.delete(child);
          if (r.exitCode !== 0) console.error(`bench: floor: rsync exit ${r.exitCode}: ${String(r.stderr).trim().slice(-500)}`);
        });
      }
    },
    selfCounts: async () => ({ rsyncRuns: runs }),
    stop: async () => {
      // Give the rsyncs a moment to end by themselves (convergence is seen before they exit).
      await withTimeout(Promise.all(running), 10_000, 'floor: rsync').catch(() => undefined);
      await Promise.all([...running].map((c) => stopProcess(c)));
    },
  };
}

export const ALL_CONTESTANTS: Record<ContestantName, Contestant> = {
  livemirror,
  'lsyncd-default': lsyncdDefault,
  'lsyncd-tuned': lsyncdTuned,
  'rsync-loop': rsyncLoop,
  floor,
};
