/**
 * The replicas' reports from a daemon's JSON log (one line per BatchReport: batches, full syncs,
 * errors, source changes …), typed as the daemon writes them (src/replicate/types.ts).
 */
import { formatReport } from '../../../src/replicate/report-format.js';
import type { BatchReport } from '../../../src/replicate/types.js';

/** One report with the replica it is about and when it was logged (ms since the epoch). */
export type LoggedReport = BatchReport & { readonly replica: string; readonly at: number };

/** The reports in a daemon's log text; lines that are not reports (daemon events, stack traces) are skipped. */
export function parseReports(log: string): LoggedReport[] {
  const out: LoggedReport[] = [];
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: { replica?: unknown; kind?: unknown; time?: unknown };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    if (typeof e.replica !== 'string' || typeof e.kind !== 'string') continue;
    const at = typeof e.time === 'number' ? e.time : Date.parse(String(e.time));
    out.push({ ...(e as BatchReport), replica: e.replica, at });
  }
  return out;
}

/** A report in one line: time, replica, the daemon's own message. */
export function describeReport(r: LoggedReport): string {
  const time = new Date(r.at).toISOString().slice(11, 23);
  return `${time} ${r.replica}: ${formatReport(r).msg.split('\n')[0] ?? ''}`;
}

/** The reports about `replica` logged in [from, to]. */
export function reportsBetween(reports: readonly LoggedReport[], replica: string, from: number, to: number): LoggedReport[] {
  return reports.filter((r) => r.replica === replica && r.at >= from && r.at <= to);
}
