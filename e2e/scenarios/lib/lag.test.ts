import { describe, expect, it } from 'vitest';
import type { DaemonStatus, ReplicaStatus } from '../../../src/core/status.js';
import { batchLogMax, lagStats, percentile, slowBatches } from './lag.js';
import { describeReport, parseReports } from './reports.js';
import type { StatusSamples } from './status.js';

const replica = (name: string, lagMs: number, extra: Partial<ReplicaStatus> = {}): ReplicaStatus => ({
  name,
  target: `rsync://${name}/data`,
  state: lagMs > 0 ? 'syncing' : 'idle',
  queued: 0,
  lagMs,
  inFlight: 0,
  attempts: 0,
  fullSyncs: 1,
  batches: 0,
  ...extra,
});
const status = (replicas: ReplicaStatus[]): DaemonStatus => ({ pid: 7, source: '/srv/data', ready: true, startedAt: 0, watches: 1, overflows: 0, settling: 2, replicas });
const samples = (rows: ReplicaStatus[][]): StatusSamples => ({
  samples: rows.map((r, i) => ({ at: 1000 + i * 100, statuses: [status(r)] })),
  failedReads: 0,
  stopped: false,
  elapsedMs: rows.length * 100,
});

const logLine = (o: Record<string, unknown>): string => JSON.stringify({ level: 30, time: '2026-12-01T10:00:00.500Z', pid: 7, ...o });
const LOG = [
  logLine({ event: 'watching', watches: 2, msg: 'watching' }),
  logLine({ replica: 'web1', event: 'batch', kind: 'batch', paths: 3, trees: 0, writes: 3, deletes: 0, moves: 0, renamed: 0, stats: { filesTransferred: 3, bytesSent: 10, bytesReceived: 2, transferredBytes: 9, deleted: 0 }, durationMs: 80, exitCode: 0, lagMs: 6200 }),
  logLine({ replica: 'web2', event: 'batch', kind: 'batch', paths: 1, trees: 0, writes: 1, deletes: 0, moves: 0, renamed: 0, stats: { filesTransferred: 1, bytesSent: 1, bytesReceived: 1, transferredBytes: 1, deleted: 0 }, durationMs: 60, exitCode: 0, lagMs: 300 }),
  logLine({ replica: 'web1', event: 'error', kind: 'error', pass: 'files', exitCode: 23, verdict: 'retry', reason: 'partial transfer', stderrTail: 'x', paths: 3, attempt: 1, retryInMs: 1200 }),
  'Error: not json',
  '{"broken',
].join('\n');

describe('scenario lib: lag figures and the daemon log', () => {
  it('percentile is the nearest rank', () => {
    expect(percentile([], 50)).toBe(0);
    expect(percentile([5, 1, 3], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBe(10);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
  });

  it('pools the named replicas and says what the worst one was doing', () => {
    const st = lagStats(
      samples([
        [replica('web1', 100), replica('web3', 60_000)],
        [replica('web1', 900, { queued: 4, inFlight: 2, lastError: { time: 1050, message: 'boom\nmore', exitCode: 23 }, nextAttempt: 1400 })],
        [replica('web1', 0)],
      ]),
      ['web1'],
    );
    expect([st.p50, st.p99, st.max, st.n]).toEqual([100, 900, 900, 3]);
    expect(st.worst).toBe('web1 syncing, queued 4, inFlight 2, lag 900 ms, attempts 0, last error 50 ms before (exit 23): boom, next attempt in 300 ms, settling 2');
  });

  it('reads typed reports and skips what is not one', () => {
    const reports = parseReports(LOG);
    expect(reports.map((r) => [r.replica, r.kind])).toEqual([
      ['web1', 'batch'],
      ['web2', 'batch'],
      ['web1', 'error'],
    ]);
    expect(reports[0]?.at).toBe(Date.parse('2026-12-01T10:00:00.500Z'));
    expect(describeReport(reports[0] as (typeof reports)[number])).toMatch(/^10:00:00\.500 web1: batch: 3 paths .* lag 6200 ms, exit 0$/);
  });

  it('finds the batch-log maximum and explains slow batches', () => {
    const reports = parseReports(LOG);
    const at = Date.parse('2026-12-01T10:00:00.500Z');
    expect([...batchLogMax(reports, ['web1', 'web2', 'web4'], at - 1, at + 1)]).toEqual([
      ['web1', 6200],
      ['web2', 300],
      ['web4', 0],
    ]);
    expect(batchLogMax(reports, ['web1'], at + 1, at + 2).get('web1')).toBe(0);
    const why = slowBatches(reports, ['web1', 'web2'], at - 1, at + 1, 5000);
    expect(why).toMatch(/^1 of 2 batches acknowledged with a lag of 5000 ms or more\n {2}10:00:00\.500 web1: batch: 3 paths/);
    expect(why).toMatch(/1 errors\/source changes\/resyncs, the last:\n {2}10:00:00\.500 web1: files pass failed \(exit 23\): partial transfer; retry 1 in 1200 ms$/);
  });
});
