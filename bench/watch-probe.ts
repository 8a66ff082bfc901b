/**
 * How long a process takes to set its inotify watches, measured the same way for every
 * contestant from outside the process. Counting the watches in /proc/PID/fdinfo while they are
 * being set is what one would do first, but printing 100,000 watches holds the inotify group's
 * lock and stalls the process being measured (livemirror took 7-8 s to 100,001 watches under a
 * 50 ms fdinfo poll, 2.6 s without). So the probe watches the process's CPU time instead
 * (/proc/PID/stat, cheap): once it has not moved for `quietMs`, it counts the watches once;
 * when all are there, the set-up ended when the CPU time last moved.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';

/** utime + stime (clock ticks) from the text of /proc/PID/stat; the name field may hold spaces and ')'. */
export function cpuTicks(statText: string): number {
  const fields = statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": state is field 3, utime field 14, stime field 15 (proc(5)).
  return Number(fields[14 - 3]) + Number(fields[15 - 3]);
}

/** The number of inotify watches in the text of one /proc/PID/fdinfo/FD file. */
export function countWatches(fdinfoText: string): number {
  let n = 0;
  for (let i = fdinfoText.indexOf('inotify wd:'); i >= 0; i = fdinfoText.indexOf('inotify wd:', i + 1)) n++;
  return n;
}

function watchesOf(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    try {
      n += countWatches(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'latin1'));
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

export const rssMiBOf = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

export interface WatchesSet {
  /** From `t0` (performance.now() just before the process was started) to its last CPU tick of the set-up. */
  readonly setMs: number;
  readonly watches: number;
  readonly rssMiB: number;
}

/** Waits until `pid` holds at least `want` watches and is quiet; throws past `deadlineMs` or if it exits. */
export async function waitWatchesSet(pid: number, want: number, t0: number, deadlineMs: number, quietMs = 500): Promise<WatchesSet> {
  let ticks = -1;
  let movedAt = performance.now();
  let seen = 0;
  for (let i = 0; i < deadlineMs / 20 + 1 && performance.now() - t0 < deadlineMs; i++) {
    const now = performance.now();
    const t = cpuTicks(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    if (t !== ticks) {
      ticks = t;
      movedAt = now;
    } else if (now - movedAt >= quietMs) {
      seen = watchesOf(pid);
      if (seen >= want) return { setMs: movedAt - t0, watches: seen, rssMiB: rssMiBOf(pid) };
      movedAt = performance.now(); // still missing some: it may be blocked on I/O; look again later
    }
    await delay(20);
  }
  throw new Error(`${seen} of ${want} inotify watches set after ${deadlineMs} ms`);
}
