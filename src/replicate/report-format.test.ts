import { describe, expect, it } from 'vitest';
import { formatReport } from './report-format.js';
import type { BatchReport } from './types.js';

const stats = { filesTransferred: 2, bytesSent: 300, bytesReceived: 40, transferredBytes: 250, deleted: 1 };

describe('formatReport', () => {
  it.each<[BatchReport, string, string]>([
    [
      { kind: 'batch', paths: 3, trees: 1, writes: 1, deletes: 1, moves: 1, renamed: 1, stats, durationMs: 12, exitCode: 0, lagMs: 40 },
      'info',
      'batch: 3 paths (1 trees, 1 writes, 1 deletes, 1/1 renamed), 300 bytes sent, 40 received, 12 ms, lag 40 ms, exit 0',
    ],
    [{ kind: 'full-sync-start', reason: 'initial sync' }, 'info', 'full sync started (initial sync)'],
    [{ kind: 'full-sync-progress', bytes: 1000, percent: 42, elapsedMs: 20_400 }, 'info', 'full sync: 42% (1000 bytes) after 20 s'],
    [{ kind: 'full-sync', reason: 'queue cap', stats, durationMs: 900, exitCode: 24 }, 'info', 'full sync done (queue cap): 2 files, 300 bytes sent, 40 received, 900 ms, exit 24'],
    [{ kind: 'rename', renamed: 2, failed: 0 }, 'debug', 'renamed 2'],
    [
      { kind: 'rename', renamed: 0, failed: 1, firstFailure: { from: 'a', to: '\xc3\xa9', error: 'EXDEV' } },
      'info',
      'renamed 0, 1 not renamed (rsync sends them instead; first: a → é: EXDEV)',
    ],
    [
      { kind: 'error', pass: 'files', exitCode: 12, verdict: 'retry', reason: 'connection lost', stderrTail: 'rsync: closed', paths: 3, attempt: 2, retryInMs: 2000 },
      'warn',
      'files pass failed (exit 12): connection lost; retry 2 in 2000 ms\nrsync: closed',
    ],
    [
      { kind: 'error', pass: 'full', exitCode: 5, verdict: 'fatal', reason: 'auth', stderrTail: '', paths: 1, attempt: 1 },
      'error',
      'full pass failed (exit 5): auth; halted until a full sync is requested or the config is reloaded',
    ],
    [{ kind: 'error', pass: 'tree', signal: 'SIGKILL', verdict: 'retry', reason: 'killed', stderrTail: '', paths: 1, attempt: 1, retryInMs: 5 }, 'warn', 'tree pass failed (SIGKILL): killed; retry 1 in 5 ms'],
    [{ kind: 'collapse', reason: 'queue-cap', queued: 5, detail: 'more than queueCap (4) paths queued' }, 'warn', 'queue (5 paths) replaced by one full resync: more than queueCap (4) paths queued'],
    [{ kind: 'state', from: 'idle', to: 'syncing' }, 'debug', 'idle → syncing'],
    [{ kind: 'stopped', unsent: 0, killed: false }, 'info', 'stopped'],
    [{ kind: 'stopped', unsent: 3, killed: true }, 'warn', 'stopped with 3 changes not sent (the running rsync was killed)'],
    [{ kind: 'ssh-master-started', pid: 7, socket: '/run/s' }, 'debug', 'ssh master started (pid 7, socket /run/s)'],
    [
      { kind: 'ssh-master-exited', pid: 7, exitCode: 255, reason: 'Connection closed', upMs: 61_400, attempt: 1, restartInMs: 900, repeated: false },
      'warn',
      'ssh master (pid 7) ended after 61 s (exit 255): Connection closed; rsync connects directly meanwhile; restart 1 in 900 ms',
    ],
    [{ kind: 'ssh-master-exited', pid: 8, signal: 'SIGKILL', reason: 'killed by SIGKILL', upMs: 0, attempt: 2, restartInMs: 2000, repeated: true }, 'debug', 'ssh master (pid 8) ended after 0 s (SIGKILL): killed by SIGKILL; rsync connects directly meanwhile; restart 2 in 2000 ms'],
    [{ kind: 'ssh-master-stopped', pid: 7, killed: false }, 'debug', 'ssh master (pid 7) stopped'],
    [{ kind: 'ssh-master-off', reason: 'no directory' }, 'warn', 'no ssh connection sharing: no directory; every rsync logs in afresh'],
  ])('%j', (report, level, msg) => {
    expect(formatReport(report)).toEqual({ level, msg });
  });
});
