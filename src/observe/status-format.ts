import type { DaemonStatus } from '../core/status.js';

/*
 * The table `livemirror status` prints. Pure (no I/O, the time is an argument) and apart from
 * status.ts, so the status command's fast path (cli/status-command.ts) loads neither node:http
 * nor the server to print it.
 */

/** The human table printed by `livemirror status`; `now` is clock time (ms) for "ago". */
export function formatStatus(s: DaemonStatus, now: number): string {
  const lines = [
    `livemirror pid ${s.pid} watching ${s.source}${s.watcher ? ` with ${s.watcher}` : ''}: ${s.ready ? 'ready' : 'starting'}, ${watchText(s)}, ${s.settling} changes settling, ${s.overflows} overflows`,
  ];
  const rows = [['REPLICA', 'STATE', 'QUEUED', 'LAG', 'LAST SUCCESS', 'LAST ERROR']];
  for (const r of s.replicas) {
    rows.push([
      r.name,
      r.state,
      String(r.queued + r.inFlight),
      r.lagMs > 0 ? `${(r.lagMs / 1000).toFixed(1)}s` : '-',
      r.lastSuccess === undefined ? 'never' : `${((now - r.lastSuccess) / 1000).toFixed(1)}s ago`,
      r.lastError === undefined ? '-' : r.lastError.message.split('\n')[0] ?? '',
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) lines.push(r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '));
  return lines.join('\n');
}

/** The source's kernel footprint in words: directories for inotify, the one mark or rule otherwise. */
function watchText(s: DaemonStatus): string {
  if (s.watcher === undefined || s.watcher === 'inotify') return `${s.watches} directories watched`;
  if (s.watcher === 'fanotify') return s.watches === 1 ? 'one filesystem mark' : `${s.watches} filesystem marks`;
  if (s.watcher === 'linux-audit') return s.watches === 1 ? 'one audit rule' : `${s.watches} audit rules`;
  return `${s.watches} watched`;
}
