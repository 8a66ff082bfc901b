// Counts the rsync processes a contestant spawns by scanning /proc every `intervalMs`, in a worker
// thread (bench/rsync-count.ts starts it) so that a burst written synchronously on the main thread
// does not stop the sampling. Plain JavaScript: a worker cannot load TypeScript through tsx.
// Types: proc-sampler.d.mts.
//
// One rsync *invocation* is an rsync process whose parent is not rsync (a local rsync forks a
// receiver and a generator: three processes, one invocation). Only descendants of `rootPid`
// count (the benchmark itself: other rsyncs on a shared machine do not). A process is known by
// pid and start time, so a reused pid is a new process. Sampling misses an rsync that starts and
// ends between two scans: the count is a lower bound.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';

/**
 * The fields of /proc/PID/stat the sampler needs, or undefined for text it cannot read. The
 * command name is in parentheses and may hold spaces and parentheses itself: it ends at the last ')'.
 * @param {string} text
 * @returns {{ comm: string, ppid: number, start: number } | undefined}
 */
export function parseStat(text) {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  // After ") ": state (field 3), ppid (4), ..., starttime (22).
  const rest = text.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  const start = Number(rest[19]);
  if (!Number.isInteger(ppid) || !Number.isInteger(start)) return undefined;
  return { comm: text.slice(open + 1, close), ppid, start };
}

/**
 * True when `pid` descends from `root` in `table` (pid → its stat), following at most 64 parents.
 * @param {Map<number, { ppid: number }>} table
 * @param {number} pid
 * @param {number} root
 */
export function descendsFrom(table, pid, root) {
  let p = table.get(pid)?.ppid;
  for (let i = 0; i < 64 && p !== undefined && p > 0; i++) {
    if (p === root) return true;
    p = table.get(p)?.ppid;
  }
  return false;
}

/**
 * The rsync processes and invocations (keys "pid:start") in one snapshot of the process table,
 * among the descendants of `root`.
 * @param {Map<number, { comm: string, ppid: number, start: number }>} table
 * @param {number} root
 * @returns {{ processes: string[], invocations: string[] }}
 */
export function rsyncIn(table, root) {
  const processes = [];
  const invocations = [];
  for (const [pid, st] of table) {
    if (st.comm !== 'rsync' || !descendsFrom(table, pid, root)) continue;
    const key = `${pid}:${st.start}`;
    processes.push(key);
    if (table.get(st.ppid)?.comm !== 'rsync') invocations.push(key);
  }
  return { processes, invocations };
}

/** @param {number} pid */
function readStat(pid) {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return undefined; // gone since the listing
  }
}

/**
 * The worker: posts 'ready' after its first scan, scans until told 'stop' (or `maxMs` passed),
 * then posts the counts. A pid seen before
 * is read again only while it is the root's descendant (it may exec rsync after its fork).
 * @param {{ rootPid: number, intervalMs: number, maxMs: number }} opts
 * @param {import('node:worker_threads').MessagePort} port
 */
function run(opts, port) {
  /** @type {Map<number, { comm: string, ppid: number, start: number }>} */
  const table = new Map();
  const mine = new Set();
  const processes = new Set();
  const invocations = new Set();
  const t0 = performance.now();
  let scans = 0;
  let maxGapMs = 0;
  let last = t0;
  const scan = () => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    scans++;
    const listed = new Set();
    for (const name of fs.readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid)) continue;
      listed.add(pid);
      if (table.has(pid) && !mine.has(pid)) continue;
      const st = readStat(pid);
      if (st) table.set(pid, st);
    }
    for (const pid of table.keys()) {
      if (listed.has(pid)) continue;
      table.delete(pid);
      mine.delete(pid);
    }
    for (const pid of table.keys()) if (!mine.has(pid) && descendsFrom(table, pid, opts.rootPid)) mine.add(pid);
    const found = rsyncIn(table, opts.rootPid);
    for (const k of found.processes) processes.add(k);
    for (const k of found.invocations) invocations.add(k);
  };
  const timer = setInterval(() => {
    scan();
    if (performance.now() - t0 > opts.maxMs) finish();
  }, opts.intervalMs);
  const finish = () => {
    clearInterval(timer);
    port.postMessage({ kind: 'counts', invocations: invocations.size, processes: processes.size, scans, maxGapMs: Math.round(maxGapMs) });
    port.close();
  };
  port.on('message', (m) => {
    if (m === 'stop') {
      scan();
      finish();
    }
  });
  scan();
  port.postMessage('ready');
}

if (!isMainThread && parentPort && workerData?.procSampler) run(workerData.procSampler, parentPort);
