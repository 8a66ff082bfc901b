import { readFileSync } from 'node:fs';
import { poll } from '../../poll.js';

/**
 * A process on this machine named by pid AND start time, so that a pid recorded by an earlier
 * (crashed) run is never confused with an unrelated process that reused the number.
 */
export interface ProcRef {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (start time in clock ticks since boot). */
  readonly start: string;
}

/** State letter and start time of `pid`, or undefined when it does not exist. */
function stat(pid: number): { state: string; start: string; ppid: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid ..." — comm may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  const ppid = Number(rest[1]);
  const start = rest[19];
  if (state === undefined || start === undefined) return undefined;
  return { state, start, ppid };
}

export function procRef(pid: number): ProcRef | undefined {
  const s = stat(pid);
  return s ? { pid, start: s.start } : undefined;
}

/** True while the very process `ref` names exists and is not a zombie. */
export function isLive(ref: ProcRef): boolean {
  const s = stat(ref.pid);
  return s !== undefined && s.start === ref.start && s.state !== 'Z' && s.state !== 'X';
}

/** SIGKILL `ref` if it is still that process; returns whether a signal was sent. */
export function killRef(ref: ProcRef): boolean {
  if (!isLive(ref)) return false;
  try {
    process.kill(ref.pid, 'SIGKILL');
    return true;
  } catch {
    return false;
  }
}

/** The children of `pid` (from /proc/PID/task/PID/children). */
export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter((s) => s !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** Resolves once none of `refs` is live; false if some still are after `deadlineMs`. */
export async function waitGone(refs: readonly ProcRef[], deadlineMs: number): Promise<boolean> {
  const r = await poll(async () => ({ done: refs.every((r) => !isLive(r)), value: undefined }), {
    deadlineMs,
    initialIntervalMs: 2,
    maxIntervalMs: 50,
  });
  return r.ok;
}
