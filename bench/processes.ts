/**
 * The processes and directories a benchmark step owns: a stop by pid (SIGTERM, then SIGKILL
 * after a deadline, each wait bounded) and temp trees that are removed in `finally`.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { ResultPromise } from 'execa';

const exited = (p: ResultPromise): boolean => p.exitCode !== null || p.signalCode !== null;

/** Resolves true when `p` has exited within `ms`. Never rejects. */
async function exitWithin(p: ResultPromise, ms: number): Promise<boolean> {
  if (exited(p)) return true;
  const ac = new AbortController();
  const done = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    delay(ms, false, { signal: ac.signal }).catch(() => false),
  ]);
  ac.abort();
  return done || exited(p);
}

/**
 * Stops a process this benchmark started, by its pid: SIGTERM, then SIGKILL if it is still there
 * after `graceMs`. Resolves once it is gone (or after a last bounded wait); never rejects.
 */
export async function stopProcess(p: ResultPromise, graceMs = 10_000): Promise<void> {
  const pid = p.pid;
  if (pid === undefined || exited(p)) {
    await exitWithin(p, 1000);
    return;
  }
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    // already gone
  }
  if (await exitWithin(p, graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
  if (!(await exitWithin(p, 5000))) console.error(`bench: pid ${pid} still there 5 s after SIGKILL`);
}

/** A fresh temp tree: `source/` and `r1/` … `rN/` beside it. */
export interface BenchTree {
  readonly dir: string;
  readonly source: string;
  readonly replicas: readonly string[];
  /** Removes the whole tree (retrying: a replica may still be written by a stopping rsync). */
  cleanup(): void;
}

export function makeTree(replicas: number, label = 'lm-bench'): BenchTree {
  const dir = mkdtempSync(path.join(os.tmpdir(), `${label}-`));
  const source = path.join(dir, 'source');
  mkdirSync(source);
  const rs = Array.from({ length: replicas }, (_, i) => path.join(dir, `r${i + 1}`));
  for (const r of rs) mkdirSync(r);
  return { dir, source, replicas: rs, cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }) };
}

/** Runs `fn` on a fresh tree and removes the tree afterwards, also when `fn` throws. */
export async function withTree<T>(replicas: number, fn: (t: BenchTree) => Promise<T>): Promise<T> {
  const t = makeTree(replicas);
  try {
    return await fn(t);
  } finally {
    t.cleanup();
  }
}

/** `p`, or a rejection with `what` after `ms`; the timer is cleared either way. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  const ac = new AbortController();
  try {
    return await Promise.race([
      p,
      delay(ms, undefined, { signal: ac.signal }).then(
        () => Promise.reject(new Error(`${what}: not done within ${ms} ms`)),
        () => new Promise<never>(() => undefined),
      ),
    ]);
  } finally {
    ac.abort();
  }
}
