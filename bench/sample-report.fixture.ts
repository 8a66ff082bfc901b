/** A small BenchReport for the report and chart tests: every workload, one of each outcome. */
import type { BenchReport, BurstRun } from './results.js';
import { summarizeLatency, type LatencySample } from './stats.js';

const hits = (...ms: number[]): LatencySample[] => ms.map((x, i) => ({ i, ms: x }));
const run = (fromFirstMs: number, fromLastMs: number, rsyncInvocations: number, selfCounts: Record<string, number>): BurstRun => ({
  startMs: 500,
  writeMs: fromFirstMs - fromLastMs,
  fromFirstMs,
  fromLastMs,
  confirmed: 'at once',
  rsyncInvocations,
  rsyncProcesses: rsyncInvocations * 3,
  scans: 100,
  maxScanGapMs: 25,
  selfCounts,
});
const size = { files: 2000, dirs: 200, runs: 1 };
const missed: LatencySample[] = [...hits(2600, 4100), { i: 2, miss: true, deadlineMs: 6000 }];

export const sampleReport: BenchReport = {
  startedAt: '2025-12-02T03:50:00.000Z',
  finishedAt: '2025-12-02T03:52:00.000Z',
  mode: 'quick',
  workloads: ['latency', 'burst', 'status'],
  contestants: ['livemirror', 'lsyncd-default', 'lsyncd-tuned', 'rsync-loop', 'floor'],
  setups: { livemirror: 'the CLI', 'lsyncd-default': 'lsyncd as shipped', 'lsyncd-tuned': 'lsyncd, delay 0', 'rsync-loop': 'rsync every 5 s', floor: 'rsync -a once' },
  machine: { cpus: 2, cpuModel: 'Test CPU', kernel: '6.1.0', node: 'v20.19.0', rsync: 'rsync version 3.5.0', lsyncd: '2.2.3', loadavgStart: [1, 2, 3], loadavgEnd: [2, 2, 3], commit: 'abc1234' },
  results: [
    { workload: 'latency', contestant: 'livemirror', status: 'ok', deadlineMs: 30_000, pauseMs: 100, phaseJitterMs: 0, samples: hits(40, 50, 60), summary: summarizeLatency(hits(40, 50, 60)) },
    { workload: 'latency', contestant: 'rsync-loop', status: 'ok', deadlineMs: 6000, pauseMs: 100, phaseJitterMs: 5000, samples: missed, summary: summarizeLatency(missed) },
    { workload: 'latency', contestant: 'lsyncd-default', status: 'not installed', reason: 'not installed', deadlineMs: 20_000, pauseMs: 100, phaseJitterMs: 0, samples: [], summary: summarizeLatency([]) },
    { workload: 'burst', contestant: 'livemirror', status: 'ok', size, deadlineMs: 140_000, runs: [run(3000, 1000, 10, { rsyncBatches: 12 })] },
    { workload: 'burst', contestant: 'rsync-loop', status: 'failed', reason: 'not converged after 140000 ms', size, deadlineMs: 140_000, runs: [] },
    { workload: 'burst', contestant: 'floor', status: 'ok', size, deadlineMs: 140_000, runs: [run(2500, 500, 4, { rsyncRuns: 4 })] },
    { workload: 'status', contestant: 'livemirror', status: 'ok', samplesMs: [160, 170, 150], medianMs: 160 },
  ],
};
