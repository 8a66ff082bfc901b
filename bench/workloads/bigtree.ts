/**
 * bigtree: a tree of TOP×(SUB+1) directories (full: 100,000), watched from a cold start, no
 * initial sync: livemirror (`--no-initial-sync`) and lsyncd-tuned (`init = false`), RUNS times
 * each, alternating, on the same tree. Measured from outside by watch-probe.ts, the same way for
 * both: process start → every directory watched (+ the root) and the process quiet, and its RSS
 * then. livemirror's own `watching ... in N ms` figure is recorded beside it. livemirror runs on
 * inotify here (the probe counts inotify watches, and lsyncd has only inotify); fanotify, which
 * has no per-directory watch, is measured against inotify by bench/sources.ts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { execa } from 'execa';
import type { BenchConfig, ContestantName } from '../config.js';
import { cliMain } from '../contestants.js';
import { ensureLsyncd } from '../lsyncd-install.js';
import { lsyncdConfig } from '../lsyncd-config.js';
import { stopProcess, withTree, type BenchTree } from '../processes.js';
import type { BigtreeResult, BigtreeRun } from '../results.js';
import { waitWatchesSet } from '../watch-probe.js';

const DEADLINE_MS = 300_000;

async function startOnce(who: ContestantName, t: BenchTree, want: number): Promise<BigtreeRun> {
  let argv: string[];
  if (who === 'livemirror') {
    argv = ['node', cliMain, 'run', '--watcher', 'inotify', '--no-initial-sync', '--status-socket', path.join(t.dir, 'status.sock'), '--log-format', 'json', '--log-level', 'info', t.source, ...t.replicas];
  } else {
    const config = path.join(t.dir, 'lsyncd-bigtree.lua');
    writeFileSync(config, lsyncdConfig({ source: t.source, replicas: t.replicas, flavour: 'tuned', init: false }));
    argv = ['lsyncd', '-nodaemon', config];
  }
  const t0 = performance.now();
  const proc = execa(argv[0]!, argv.slice(1), { reject: false, buffer: false, stdout: 'pipe', stderr: 'inherit' });
  let ownMs: number | undefined;
  readline.createInterface({ input: proc.stdout }).on('line', (line) => {
    const m = /"event":"watching".*?"ms":(\d+)/.exec(line);
    if (m) ownMs = Number(m[1]);
  });
  try {
    if (proc.pid === undefined) throw new Error(`${who} did not start`);
    const set = await waitWatchesSet(proc.pid, want, t0, DEADLINE_MS);
    return { ...set, ...(ownMs !== undefined ? { ownMs } : {}) };
  } finally {
    await stopProcess(proc);
  }
}

export async function runBigtree(cfg: BenchConfig, contestants: readonly ContestantName[], log: (s: string) => void): Promise<BigtreeResult[]> {
  const { top, sub, runs } = cfg.bigtree;
  const dirs = top * (sub + 1);
  const who = contestants.filter((c): c is 'livemirror' | 'lsyncd-tuned' => c === 'livemirror' || c === 'lsyncd-tuned');
  const lsyncd = who.includes('lsyncd-tuned') ? await ensureLsyncd() : { ok: true as const };
  const results = new Map<ContestantName, BigtreeResult>();
  const base = (c: ContestantName) => ({ workload: 'bigtree' as const, contestant: c, dirs });
  if (!lsyncd.ok) results.set('lsyncd-tuned', { ...base('lsyncd-tuned'), status: 'not installed', reason: lsyncd.reason, runs: [] });
  const measured = who.filter((c) => !results.has(c));
  const collected = new Map<ContestantName, BigtreeRun[]>(measured.map((c) => [c, []]));
  try {
    await withTree(1, async (t) => {
      for (let i = 0; i < top; i++) for (let j = 0; j < sub; j++) mkdirSync(path.join(t.source, `a${i}`, `b${j}`), { recursive: true });
      for (let run = 0; run < runs; run++) {
        for (const c of measured) {
          const r = await startOnce(c, t, dirs + 1);
          collected.get(c)!.push(r);
          log(`  ${c} run ${run + 1}/${runs}: ${r.watches} watches set after ${(r.setMs / 1000).toFixed(2)} s${r.ownMs !== undefined ? ` (its own figure ${(r.ownMs / 1000).toFixed(2)} s)` : ''}, RSS ${r.rssMiB.toFixed(0)} MiB`);
        }
      }
    });
    for (const c of measured) results.set(c, { ...base(c), status: 'ok', runs: collected.get(c)! });
  } catch (e) {
    for (const c of measured) results.set(c, { ...base(c), status: 'failed', reason: (e as Error).message, runs: collected.get(c)! });
  }
  return who.map((c) => results.get(c)!);
}
