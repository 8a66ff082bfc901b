/**
 * idle: a running contestant on a tree where nothing changes. After its startup (and a short
 * pause for what startup leaves behind), its process's CPU time and context switches over a
 * window, from /proc (bench/idle-figures.ts). Daemons only: rsync-loop is not a process that can
 * idle (it runs rsync for every replica every 5 s whether anything changed or not), floor runs
 * once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { execa } from 'execa';
import type { BenchConfig } from '../config.js';
import type { Contestant } from '../contestants.js';
import { idleFigures, switchesOfStatus, ticksOfStat, type ProcSnapshot } from '../idle-figures.js';
import { withTree } from '../processes.js';
import type { IdleResult } from '../results.js';

function snapshot(pid: number): ProcSnapshot {
  const ticks = ticksOfStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  let switches = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      switches += switchesOfStatus(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
    } catch {
      // the thread ended meanwhile
    }
  }
  return { ticks, switches, at: performance.now() };
}

let clockTicks: number | undefined;
async function clockTicksPerSecond(): Promise<number> {
  clockTicks ??= Number((await execa('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
  return clockTicks;
}

export async function runIdle(c: Contestant, cfg: BenchConfig, log: (s: string) => void): Promise<IdleResult> {
  const base = { workload: 'idle' as const, contestant: c.name };
  const avail = await c.available();
  if (!avail.ok) return { ...base, status: 'not installed', reason: avail.reason };
  try {
    return await withTree(cfg.replicas, async (t) => {
      const running = await c.start(t);
      try {
        if (running.pid === undefined) throw new Error('no pid to measure');
        await delay(cfg.idle.settleMs);
        const before = snapshot(running.pid);
        await delay(cfg.idle.windowMs);
        const f = idleFigures(before, snapshot(running.pid), await clockTicksPerSecond());
        log(`  ${c.name}: ${f.cpuPercent.toFixed(3)}% of one CPU, ${f.switchesPerSecond.toFixed(2)} context switches a second over ${(f.windowMs / 1000).toFixed(0)} s idle`);
        return { ...base, status: 'ok' as const, settleMs: cfg.idle.settleMs, ...f };
      } finally {
        await running.stop();
      }
    });
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message };
  }
}
