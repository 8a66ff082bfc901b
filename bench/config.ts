/**
 * What one benchmark run does (pure): the command line (`npm run bench -- [workload...] [--quick]
 * [--out DIR] [--publish] [--contestants a,b] [--burst-sizes 2000x200x1,...] [--from-json FILE]`), the three sizes
 * (full, quick, and tiny — BENCH_TINY=1, a few files and 3 samples, for smoke tests) and the
 * deadlines. Every size and count of the workloads is here, with its reason.
 */
import { parseArgs } from 'node:util';

export const WORKLOADS = ['latency', 'burst', 'idle', 'bigtree', 'meshdb', 'status', 'sshlatency', 'bigfile', 'farm'] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** Who replicates: the daemon, lsyncd two ways, a cron-style loop, and the floor (burst only). */
export const CONTESTANTS = ['livemirror', 'lsyncd-default', 'lsyncd-tuned', 'rsync-loop', 'floor'] as const;
export type ContestantName = (typeof CONTESTANTS)[number];

export type Mode = 'full' | 'quick' | 'tiny';

export interface BurstSize {
  readonly files: number;
  readonly dirs: number;
  /** Runs per contestant at this size (each on a fresh tree). */
  readonly runs: number;
}

export interface BenchConfig {
  readonly mode: Mode;
  /** Local replica directories, on the same disk as the source. */
  readonly replicas: number;
  readonly latency: {
    readonly samples: number;
    /** lsyncd-default waits its 15 s delay per sample: capped in quick mode to fit 3 minutes. */
    readonly lsyncdDefaultSamples: number;
    /** Pause after each sample (a contestant with a period adds a random phase, see contestants.ts). */
    readonly pauseMs: number;
    /** Every replica is checked this often while a sample waits (existsSync/stat). */
    readonly pollMs: number;
  };
  readonly burst: { readonly sizes: readonly BurstSize[] };
  readonly bigtree: { readonly top: number; readonly sub: number; readonly runs: number };
  readonly meshdb: { readonly dirs: number; readonly filesPerDir: number };
  readonly status: { readonly runs: number };
  /** How long a daemon is watched doing nothing (workloads/idle.ts), after `settleMs` for what its
   *  start leaves behind: V8 collects garbage a few more times in the first ~30 s after a busy
   *  start (its memory reducer), then livemirror makes no system call at all (strace, 20 s). */
  readonly idle: { readonly windowMs: number; readonly settleMs: number };
  /** One small file → one replica behind a loopback sshd (workloads/sshlatency.ts); pause and poll as latency's. */
  readonly sshlatency: { readonly samples: number };
  /** A file of `sizeMiB` changed in its middle → one ssh replica (workloads/bigfile.ts); `runs` per contestant, each on a fresh file. */
  readonly bigfile: { readonly sizeMiB: number; readonly runs: number };
}

const full: BenchConfig = {
  mode: 'full',
  replicas: 4,
  latency: { samples: 30, lsyncdDefaultSamples: 30, pauseMs: 100, pollMs: 1 },
  burst: {
    sizes: [
      { files: 10_000, dirs: 1_000, runs: 3 },
      // The size a web root reaches; one run each, it takes minutes for the slow contestants.
      { files: 60_000, dirs: 1_000, runs: 1 },
    ],
  },
  // 1,000 directories of 99 subdirectories: 100,000 directories below the root.
  bigtree: { top: 1_000, sub: 99, runs: 3 },
  meshdb: { dirs: 100, filesPerDir: 1_000 },
  status: { runs: 10 },
  idle: { windowMs: 60_000, settleMs: 30_000 },
  sshlatency: { samples: 30 },
  // Issue #8's size. 3 runs for a median that is a middle run (each ~15 s here: writing the file,
  // copying it to the replica, rsync reading both whole for the delta).
  bigfile: { sizeMiB: 1024, runs: 3 },
};

const quick: BenchConfig = {
  ...full,
  mode: 'quick',
  // 2 lsyncd-default samples take 30 s of the 3 minutes.
  latency: { ...full.latency, samples: 8, lsyncdDefaultSamples: 2 },
  burst: { sizes: [{ files: 2_000, dirs: 200, runs: 1 }] },
  bigtree: { top: 100, sub: 99, runs: 1 },
  meshdb: { dirs: 10, filesPerDir: 1_000 },
  idle: { windowMs: 10_000, settleMs: 3_000 },
  sshlatency: { samples: 8 },
  bigfile: { sizeMiB: 64, runs: 1 },
};

const tiny: BenchConfig = {
  ...quick,
  mode: 'tiny',
  latency: { ...quick.latency, samples: 3, lsyncdDefaultSamples: 1 },
  burst: { sizes: [{ files: 40, dirs: 4, runs: 1 }] },
  bigtree: { top: 5, sub: 9, runs: 1 },
  meshdb: { dirs: 2, filesPerDir: 50 },
  status: { runs: 3 },
  idle: { windowMs: 2_000, settleMs: 1_000 },
  sshlatency: { samples: 3 },
  bigfile: { sizeMiB: 4, runs: 1 },
};

export function benchConfig(mode: Mode): BenchConfig {
  return mode === 'full' ? full : mode === 'quick' ? quick : tiny;
}

/** Deadline for one burst to converge: 2 minutes plus 10 ms a file (60,000 files: 12 minutes). */
export const burstDeadlineMs = (s: BurstSize): number => 120_000 + s.files * 10;

/** The bigfile workload overwrites this much in the middle of its file. */
export const BIGFILE_CHANGE_BYTES = 1024 * 1024;

/** Deadline for a bigfile change to arrive: 1 minute plus 0.2 s a MiB (1 GiB: 4.4 minutes; rsync reads both copies whole). */
export const bigfileDeadlineMs = (sizeMiB: number): number => 60_000 + sizeMiB * 200;

/**
 * What --quick (and the tiny CI smoke) runs when no workload is named: the ssh workloads take
 * ~12 s together in tiny mode and ~25 s in quick mode here, and report "not installed" at once
 * where they cannot run (not root).
 */
export const QUICK_WORKLOADS: readonly WorkloadName[] = ['latency', 'burst', 'idle', 'sshlatency', 'bigfile'];

export interface BenchArgs {
  readonly workloads: readonly WorkloadName[];
  readonly mode: Mode;
  readonly out: string;
  readonly publish: boolean;
  readonly contestants: readonly ContestantName[];
  /** From --burst-sizes, replacing the mode's sizes. */
  readonly burstSizes?: readonly BurstSize[];
  /** --from-json: measure nothing, write the table and charts of this earlier run's JSON again. */
  readonly fromJson?: string;
}

export const USAGE = `usage: npm run bench -- [${WORKLOADS.join('|')} ...] [--quick] [--out DIR] [--publish]
                        [--contestants ${CONTESTANTS.join(',')}] [--burst-sizes FILESxDIRS[xRUNS],...]
       npm run bench -- --from-json bench/results/bench-DATE.json [--out DIR] [--publish]
  no workload: all of them (with --quick: latency, burst, idle, sshlatency and bigfile); BENCH_TINY=1 shrinks every size;
  --from-json measures nothing: it writes the table and the charts of an earlier run again`;

/** "2000x200" or "2000x200x3" → a burst size; throws on anything else. */
export function parseBurstSize(text: string): BurstSize {
  const m = /^(\d+)x(\d+)(?:x(\d+))?$/.exec(text.trim());
  const [files, dirs, runs] = [Number(m?.[1]), Number(m?.[2]), Number(m?.[3] ?? 1)];
  if (!m || files < 1 || dirs < 1 || runs < 1 || dirs > files) throw new Error(`--burst-sizes: expected FILESxDIRS[xRUNS] with FILES ≥ DIRS ≥ 1, got ${JSON.stringify(text)}`);
  return { files, dirs, runs };
}

/** The command line (without node and the script) and the environment → what to run. Throws a usage error. */
export function parseBenchArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): BenchArgs {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      quick: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results' },
      publish: { type: 'boolean', default: false },
      contestants: { type: 'string' },
      'burst-sizes': { type: 'string' },
      'from-json': { type: 'string' },
    },
  });
  const named = positionals.filter((p) => p !== '--');
  for (const w of named) if (!(WORKLOADS as readonly string[]).includes(w)) throw new Error(`unknown workload ${JSON.stringify(w)}\n${USAGE}`);
  const mode: Mode = env['BENCH_TINY'] === '1' ? 'tiny' : values.quick ? 'quick' : 'full';
  const workloads = named.length > 0 ? [...new Set(named as WorkloadName[])] : mode === 'full' ? [...WORKLOADS] : [...QUICK_WORKLOADS];
  const contestants = values.contestants === undefined ? [...CONTESTANTS] : values.contestants.split(',').map((c) => c.trim());
  for (const c of contestants) if (!(CONTESTANTS as readonly string[]).includes(c)) throw new Error(`unknown contestant ${JSON.stringify(c)}\n${USAGE}`);
  const sizes = values['burst-sizes']?.split(',').map(parseBurstSize);
  return {
    workloads,
    mode,
    out: values.out,
    publish: values.publish,
    contestants: contestants as ContestantName[],
    ...(sizes ? { burstSizes: sizes } : {}),
    ...(values['from-json'] !== undefined ? { fromJson: values['from-json'] } : {}),
  };
}
