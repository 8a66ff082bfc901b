import { displayPath } from '../core/path.js';
import type { BatchReport, RsyncStats } from './types.js';

export type ReportLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * The log line of each report kind. The switch is exhaustive: a new kind without a message does
 * not compile. Messages are for people; the report's fields go along as structured data.
 */
export function formatReport(r: BatchReport): { level: ReportLevel; msg: string } {
  switch (r.kind) {
    case 'batch':
      return {
        level: 'info',
        msg: `batch: ${r.paths} paths (${r.trees} trees, ${r.writes} writes, ${r.deletes} deletes${r.moves ? `, ${r.renamed}/${r.moves} renamed` : ''}), ${bytes(r.stats)}, ${r.durationMs} ms, lag ${r.lagMs} ms, exit ${r.exitCode}`,
      };
    case 'full-sync-start':
      return { level: 'info', msg: `full sync started (${r.reason})` };
    case 'full-sync-progress':
      return { level: 'info', msg: `full sync: ${r.percent}% (${r.bytes} bytes) after ${Math.round(r.elapsedMs / 1000)} s` };
    case 'full-sync':
      return { level: 'info', msg: `full sync done (${r.reason}): ${r.stats.filesTransferred} files, ${bytes(r.stats)}, ${r.durationMs} ms, exit ${r.exitCode}` };
    case 'rename':
      return {
        level: r.failed > 0 ? 'info' : 'debug',
        msg: `renamed ${r.renamed}${r.failed ? `, ${r.failed} not renamed (rsync sends them instead; first: ${displayPath(r.firstFailure?.from ?? '')} → ${displayPath(r.firstFailure?.to ?? '')}: ${r.firstFailure?.error ?? '?'})` : ''}`,
      };
    case 'error': {
      const how = r.exitCode !== undefined ? `exit ${r.exitCode}` : r.signal !== undefined ? r.signal : 'no exit code';
      const next = r.verdict === 'fatal' ? 'halted until a full sync is requested or the config is reloaded' : `retry ${r.attempt} in ${r.retryInMs ?? 0} ms`;
      return { level: r.verdict === 'fatal' ? 'error' : 'warn', msg: `${r.pass} pass failed (${how}): ${r.reason}; ${next}${r.stderrTail ? `\n${r.stderrTail}` : ''}` };
    }
    case 'source-changed':
      return {
        level: 'info',
        msg: `${r.paths} path${r.paths === 1 ? '' : 's'} changed on the source while rsync sent ${r.paths === 1 ? 'it' : 'them'} (first: ${displayPath(r.first)}${r.deletionsSkipped ? '; rsync skipped deletions' : ''}): queued again${r.inARow > 1 ? ` (${r.inARow} runs in a row)` : ''}`,
      };
    case 'collapse':
      return { level: 'warn', msg: `queue (${r.queued} paths) replaced by one full resync: ${r.detail}` };
    case 'state':
      return { level: 'debug', msg: `${r.from} → ${r.to}` };
    case 'stopped':
      return {
        level: r.unsent > 0 ? 'warn' : 'info',
        msg: r.unsent > 0 ? `stopped with ${r.unsent} changes not sent${r.killed ? ' (the running rsync was killed)' : ''}` : 'stopped',
      };
    case 'ssh-master-started':
      return { level: 'debug', msg: `ssh master started (pid ${r.pid}, socket ${r.socket})` };
    case 'ssh-master-exited': {
      const how = r.exitCode !== undefined ? `exit ${r.exitCode}` : (r.signal ?? 'no exit code');
      return {
        level: r.repeated ? 'debug' : 'warn',
        msg: `ssh master (pid ${r.pid}) ended after ${Math.round(r.upMs / 1000)} s (${how}): ${r.reason}; rsync connects directly meanwhile; restart ${r.attempt} in ${r.restartInMs} ms`,
      };
    }
    case 'ssh-master-stopped':
      return { level: 'debug', msg: `ssh master (pid ${r.pid}) stopped${r.killed ? ' (killed: it ignored SIGTERM)' : ''}` };
    case 'ssh-master-off':
      return { level: 'warn', msg: `no ssh connection sharing: ${r.reason}; every rsync logs in afresh` };
  }
}

function bytes(s: RsyncStats): string {
  return `${s.bytesSent} bytes sent, ${s.bytesReceived} received`;
}
