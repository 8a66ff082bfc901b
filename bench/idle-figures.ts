/**
 * What an idle process costs, from two snapshots of /proc (pure): CPU time (user + system clock
 * ticks of the process, all its threads) and context switches (voluntary and not, summed over
 * its threads) between the snapshots, as a share of one CPU and a rate per second. A daemon
 * with no wakeups that nothing caused shows ~0 of both.
 */
export interface ProcSnapshot {
  /** utime + stime of /proc/PID/stat, in clock ticks. */
  readonly ticks: number;
  /** Sum over /proc/PID/task/TID/status of voluntary_ctxt_switches + nonvoluntary_ctxt_switches. */
  readonly switches: number;
  /** performance.now() when taken. */
  readonly at: number;
}

export interface IdleFigures {
  readonly windowMs: number;
  /** Percent of one CPU. */
  readonly cpuPercent: number;
  readonly switchesPerSecond: number;
}

export function idleFigures(before: ProcSnapshot, after: ProcSnapshot, clockTicksPerSecond: number): IdleFigures {
  const windowMs = after.at - before.at;
  const seconds = windowMs / 1000;
  return {
    windowMs,
    cpuPercent: seconds > 0 ? ((after.ticks - before.ticks) / clockTicksPerSecond / seconds) * 100 : NaN,
    switchesPerSecond: seconds > 0 ? (after.switches - before.switches) / seconds : NaN,
  };
}

/** utime + stime (fields 14 and 15) of a /proc/PID/stat line; the command name may hold spaces and parentheses. */
export function ticksOfStat(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state): field n is rest[n - 3].
  return Number(rest[11]) + Number(rest[12]);
}

/** voluntary + nonvoluntary context switches of a /proc/PID/task/TID/status text. */
export function switchesOfStatus(status: string): number {
  let n = 0;
  for (const m of status.matchAll(/^(?:non)?voluntary_ctxt_switches:\s+(\d+)$/gm)) n += Number(m[1]);
  return n;
}
