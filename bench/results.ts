/**
 * What one benchmark run records (types only): the JSON file holds a BenchReport with every
 * sample; the markdown table and the charts are computed from it.
 */
import type { BurstSize, ContestantName, Mode, WorkloadName } from './config.js';
import type { LatencySample, LatencySummary } from './stats.js';

/** ok: measured; not installed / failed: no figures, and the reason is shown wherever the figures would be. */
export type Outcome = { readonly status: 'ok' } | { readonly status: 'not installed' | 'failed'; readonly reason: string };

export type LatencyResult = Outcome & {
  readonly workload: 'latency';
  readonly contestant: ContestantName;
  readonly deadlineMs: number;
  /** Pause after each sample, and the random extra up to a contestant's period (rsync-loop). */
  readonly pauseMs: number;
  readonly phaseJitterMs: number;
  readonly samples: readonly LatencySample[];
  readonly summary: LatencySummary;
};

export interface BurstRun {
  /** From starting the contestant to the end of its initial sync (of the empty tree). */
  readonly startMs: number;
  /** Writing the whole tree (first write to last write). */
  readonly writeMs: number;
  readonly fromFirstMs: number;
  readonly fromLastMs: number;
  readonly confirmed: 'at once' | 'later';
  /** rsync invocations and processes seen by the /proc scan (rsync-count.ts), first write to convergence. */
  readonly rsyncInvocations: number;
  readonly rsyncProcesses: number;
  readonly scans: number;
  readonly maxScanGapMs: number;
  /** The contestant's own counts over the same span (livemirror: batches + full syncs; lsyncd: "Calling rsync" lines; loops: runs). */
  readonly selfCounts: Readonly<Record<string, number>>;
}

export type BurstResult = Outcome & {
  readonly workload: 'burst';
  readonly contestant: ContestantName;
  readonly size: BurstSize;
  readonly deadlineMs: number;
  readonly runs: readonly BurstRun[];
};

/** One start on the big tree (workloads/bigtree.ts, measured by watch-probe.ts). */
export interface BigtreeRun {
  /** Process start to its last CPU tick of setting the watches (the probe). */
  readonly setMs: number;
  readonly watches: number;
  readonly rssMiB: number;
  /** livemirror's own figure: its `watching ... in N ms` log line (from inside the process). */
  readonly ownMs?: number;
}

export type BigtreeResult = Outcome & {
  readonly workload: 'bigtree';
  readonly contestant: ContestantName;
  readonly dirs: number;
  readonly runs: readonly BigtreeRun[];
};

export type MeshdbResult = Outcome & {
  readonly workload: 'meshdb';
  readonly contestant: 'livemirror';
  readonly paths: number;
  readonly recorded?: number;
  readonly recordMs?: number;
  readonly dbMiB?: number;
};

export type StatusResult = Outcome & {
  readonly workload: 'status';
  readonly contestant: 'livemirror';
  /** Wall time of each `livemirror status --socket S` run. */
  readonly samplesMs: readonly number[];
  readonly medianMs: number;
};

/** A daemon on a tree where nothing changes: its CPU share and context switches (workloads/idle.ts). */
export type IdleResult = Outcome & {
  readonly workload: 'idle';
  readonly contestant: ContestantName;
  readonly windowMs?: number;
  /** How long after its start the window opened. */
  readonly settleMs?: number;
  /** Percent of one CPU. */
  readonly cpuPercent?: number;
  readonly switchesPerSecond?: number;
};

/** One small file → one replica over a loopback ssh (workloads/sshlatency.ts). */
export type SshLatencyResult = Outcome & {
  readonly workload: 'sshlatency';
  readonly contestant: ContestantName;
  /** The row's name: the contestant, or a variant of it ("livemirror, no connection sharing"). */
  readonly label: string;
  /** livemirror only: whether its ssh connection sharing was on. */
  readonly sshConnectionSharing?: boolean;
  readonly deadlineMs: number;
  readonly pauseMs: number;
  readonly samples: readonly LatencySample[];
  readonly summary: LatencySummary;
};

export interface BigfileRun {
  /** From starting the contestant to its initial sync done (the replica already held the old file). */
  readonly startMs: number;
  /** From the change (before the write) until the replica's file was seen equal to the source's. */
  readonly convergeMs: number;
  /** Bytes received by `lo` over the same span: the ssh traffic of both directions (net-dev.ts). */
  readonly loRxBytes: number;
}

/** A big file changed in its middle → one ssh replica (workloads/bigfile.ts). */
export type BigfileResult = Outcome & {
  readonly workload: 'bigfile';
  readonly contestant: ContestantName;
  readonly sizeBytes: number;
  readonly changedBytes: number;
  readonly deadlineMs: number;
  readonly runs: readonly BigfileRun[];
};

/** The e2e scenario farm-1to4 on the netns cluster (workloads/farm.ts); figures in ms. */
export type FarmResult = Outcome & {
  readonly workload: 'farm';
  readonly contestant: 'livemirror';
  readonly durationMs?: number;
  readonly outageMs?: number;
  readonly liveLagP50Ms?: number;
  readonly liveLagP99Ms?: number;
  readonly liveLagMaxMs?: number;
  readonly delayP50Ms?: number;
  readonly delayP99Ms?: number;
};

export type WorkloadResult = FarmResult | LatencyResult | BurstResult | BigtreeResult | MeshdbResult | StatusResult | IdleResult | SshLatencyResult | BigfileResult;

export interface MachineFacts {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly kernel: string;
  readonly node: string;
  readonly rsync: string;
  /** Looked up again at the end of the run: a contestant may have installed it. */
  lsyncd: string;
  readonly loadavgStart: readonly number[];
  loadavgEnd?: readonly number[];
  readonly commit: string;
}

export interface BenchReport {
  readonly startedAt: string;
  finishedAt?: string;
  readonly mode: Mode;
  readonly workloads: readonly WorkloadName[];
  readonly contestants: readonly ContestantName[];
  /** What each contestant runs, as the report says it. */
  readonly setups: Readonly<Record<ContestantName, string>>;
  readonly machine: MachineFacts;
  readonly results: WorkloadResult[];
}
