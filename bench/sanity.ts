/**
 * Whether a benchmark run's numbers can be believed (pure): what the CI smoke test asserts, with
 * no speed threshold. A contestant that failed, a livemirror sample that never arrived, a burst
 * that did not converge or a figure that is not a positive finite number makes the run insane;
 * a contestant that is not installed does not (lsyncd needs root to be installed here).
 */
import type { BenchReport } from './results.js';

export function sanityProblems(report: BenchReport): string[] {
  const out: string[] = [];
  const positive = (x: number | undefined) => x !== undefined && Number.isFinite(x) && x > 0;
  for (const r of report.results) {
    const who = `${r.workload}/${'label' in r ? r.label : r.contestant}`;
    if (r.status === 'failed') {
      out.push(`${who} failed: ${r.reason}`);
      continue;
    }
    if (r.status !== 'ok') continue;
    switch (r.workload) {
      case 'latency':
      case 'sshlatency':
        if (r.summary.n === 0) out.push(`${who}: no samples`);
        else if (r.contestant === 'livemirror' && r.summary.misses > 0) out.push(`${who}: ${r.summary.misses} of ${r.summary.n} writes never reached every replica within ${r.deadlineMs} ms`);
        else if (r.summary.misses < r.summary.n && !positive(r.summary.p50)) out.push(`${who}: p50 ${r.summary.p50} is not a time`);
        break;
      case 'bigfile':
        if (r.runs.length === 0) out.push(`${who}: no runs`);
        for (const [i, run] of r.runs.entries()) if (!positive(run.convergeMs) || !positive(run.loRxBytes)) out.push(`${who} run ${i + 1}: equal after ${run.convergeMs} ms with ${run.loRxBytes} bytes on lo is not a measurement`);
        break;
      case 'burst':
        if (r.runs.length === 0) out.push(`${who}: no runs`);
        for (const [i, run] of r.runs.entries()) if (!positive(run.fromFirstMs) || !positive(run.fromLastMs)) out.push(`${who} run ${i + 1}: converged after ${run.fromFirstMs}/${run.fromLastMs} ms is not a time`);
        break;
      case 'bigtree':
        if (r.runs.length === 0) out.push(`${who}: no runs`);
        for (const [i, run] of r.runs.entries())
          if (!positive(run.setMs) || !positive(run.rssMiB) || run.watches < r.dirs) out.push(`${who} run ${i + 1}: ${run.watches} of ${r.dirs} watches after ${run.setMs} ms, RSS ${run.rssMiB} MiB`);
        break;
      case 'meshdb':
        // The scan records the directories too: at least every file.
        if (!positive(r.dbMiB) || (r.recorded ?? 0) < r.paths) out.push(`${who}: recorded ${r.recorded} of ${r.paths} paths, ${r.dbMiB} MiB`);
        break;
      case 'idle':
        if (!Number.isFinite(r.cpuPercent) || (r.cpuPercent ?? -1) < 0 || !Number.isFinite(r.switchesPerSecond) || !positive(r.windowMs)) out.push(`${who}: ${r.cpuPercent}% CPU, ${r.switchesPerSecond} switches/s over ${r.windowMs} ms`);
        break;
      case 'farm':
        if (!positive(r.liveLagP99Ms) || !positive(r.delayP99Ms)) out.push(`${who}: live lag p99 ${r.liveLagP99Ms} ms, probe delay p99 ${r.delayP99Ms} ms`);
        break;
      case 'status':
        if (!positive(r.medianMs)) out.push(`${who}: median ${r.medianMs} ms`);
        break;
    }
  }
  if (!report.results.some((r) => r.contestant === 'livemirror' && r.status === 'ok')) out.push('no livemirror result at all');
  return out;
}
