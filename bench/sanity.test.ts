import { describe, expect, it } from 'vitest';
import type { BenchReport, WorkloadResult } from './results.js';
import { sanityProblems } from './sanity.js';

const summary = (n: number, misses: number, p50: number) => ({ n, misses, p50, p90: p50, p99: p50, max: p50 });
const latency = (contestant: 'livemirror' | 'lsyncd-tuned', s: ReturnType<typeof summary>): WorkloadResult => ({ status: 'ok', workload: 'latency', contestant, deadlineMs: 30_000, pauseMs: 100, phaseJitterMs: 0, samples: [], summary: s });
const report = (results: WorkloadResult[]): BenchReport => ({ startedAt: '', mode: 'tiny', workloads: ['latency'], contestants: ['livemirror'], setups: {} as BenchReport['setups'], machine: {} as BenchReport['machine'], results });

describe('sanityProblems', () => {
  it('a run where every contestant measured something is sane', () => {
    expect(sanityProblems(report([latency('livemirror', summary(3, 0, 120)), latency('lsyncd-tuned', summary(3, 1, 90))]))).toEqual([]);
  });
  it('a livemirror write that never arrived, a failed contestant, or no livemirror result is not', () => {
    expect(sanityProblems(report([latency('livemirror', summary(3, 1, 120))]))).toEqual(['latency/livemirror: 1 of 3 writes never reached every replica within 30000 ms']);
    expect(sanityProblems(report([latency('livemirror', summary(3, 0, 120)), { status: 'failed', reason: 'boom', workload: 'latency', contestant: 'lsyncd-tuned' } as WorkloadResult]))).toEqual(['latency/lsyncd-tuned failed: boom']);
    expect(sanityProblems(report([]))).toEqual(['no livemirror result at all']);
  });
  it('a contestant that is not installed is reported by the table, not a failure', () => {
    expect(sanityProblems(report([latency('livemirror', summary(3, 0, 120)), { status: 'not installed', reason: 'no lsyncd', workload: 'latency', contestant: 'lsyncd-tuned' } as WorkloadResult]))).toEqual([]);
  });
  it('a figure that is not a positive time is not sane', () => {
    expect(sanityProblems(report([latency('livemirror', summary(3, 0, Number.NaN))]))).toEqual(['latency/livemirror: p50 NaN is not a time']);
  });
  it('ssh workloads: a livemirror variant that missed, or a bigfile run with no bytes on lo, is not sane', () => {
    const ssh = { status: 'ok', workload: 'sshlatency', contestant: 'livemirror', label: 'livemirror, no connection sharing', deadlineMs: 30_000, pauseMs: 100, samples: [], summary: summary(3, 1, 300) } as const;
    const big = (loRxBytes: number): WorkloadResult => ({ status: 'ok', workload: 'bigfile', contestant: 'livemirror', sizeBytes: 4 << 20, changedBytes: 1 << 20, deadlineMs: 60_000, runs: [{ startMs: 500, convergeMs: 150, loRxBytes }] });
    expect(sanityProblems(report([ssh, big(1_100_000)]))).toEqual(['sshlatency/livemirror, no connection sharing: 1 of 3 writes never reached every replica within 30000 ms']);
    expect(sanityProblems(report([big(0)]))).toEqual(['bigfile/livemirror run 1: equal after 150 ms with 0 bytes on lo is not a measurement']);
    expect(sanityProblems(report([{ ...big(1), runs: [] } as WorkloadResult]))).toEqual(['bigfile/livemirror: no runs']);
  });
});
