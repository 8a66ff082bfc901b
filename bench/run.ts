/**
 * Benchmarks (npm run bench [-- latency|burst|bigtree]): the daemon as a user runs it (the built
 * CLI, a separate process), against plain rsync and, where installed, lsyncd. Prints medians
 * and ratios from one run; absolute times on shared machines are noisy.
 *
 *  latency  one small write → present on all 4 local replicas (default settings), 20 runs
 *  burst    10,000 files in 1,000 dirs → converged on 4 replicas, vs plain `rsync -a` ×4
 *  bigtree  a tree of 100,000 directories: time until `ready` and the daemon's RSS
 *  meshdb   a mesh node's state database for 100,000 paths: size on disk, time to record them
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { fetchStatus } from '../src/observe/status.js';
import { defaults } from '../src/config/defaults.js';
import { realClock } from '../src/core/clock.js';
import { meshRel } from '../src/core/mesh-layout.js';
import { MeshNode } from '../src/mesh/mesh.js';
import { createLogger } from '../src/observe/log.js';
import { awaitDirsConverged as awaitConverged } from '../e2e/harness/local-tree.js';
import { waitUntil as waitFor } from '../e2e/harness/poll.js';

const root = path.resolve(import.meta.dirname, '..');
const cliMain = path.join(root, 'dist/cli/main.js');
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const ms = (n: number) => `${n.toFixed(1)} ms`;

interface Running {
  proc: ResultPromise;
  socket: string;
  stop: () => Promise<void>;
}

async function startCli(dir: string, source: string, replicas: string[], extra: string[] = []): Promise<Running> {
  const socket = path.join(dir, 'status.sock');
  const proc = execa('node', [cliMain, 'run', '--status-socket', socket, '--log-format', 'json', '--log-level', 'warn', ...extra, source, ...replicas], {
    reject: false,
    stdout: 'ignore',
    stderr: 'inherit',
  });
  await waitFor(async () => (await fetchStatus(socket).catch(() => undefined))?.ready === true, 'daemon ready', 600_000, 50);
  return {
    proc,
    socket,
    stop: async () => {
      if (proc.pid) process.kill(proc.pid, 'SIGTERM');
      await proc;
    },
  };
}

function tree(n: number) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-bench-'));
  const source = path.join(dir, 'source');
  mkdirSync(source);
  const replicas = Array.from({ length: n }, (_, i) => path.join(dir, `r${i + 1}`));
  for (const r of replicas) mkdirSync(r);
  return { dir, source, replicas, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function latency(): Promise<void> {
  const t = tree(4);
  const d = await startCli(t.dir, t.source, t.replicas);
  const runs: number[] = [];
  try {
    for (let i = 0; i < 20; i++) {
      const name = `small-${i}.txt`;
      const t0 = performance.now();
      writeFileSync(path.join(t.source, name), `hello ${i}\n`);
      for (let k = 0; k < 1_000_000; k++) {
        if (t.replicas.every((r) => existsSync(path.join(r, name)))) break;
        if (performance.now() - t0 > 10_000) throw new Error('latency: not replicated within 10 s');
        await new Promise((r) => setTimeout(r, 1));
      }
      runs.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await d.stop();
    t.cleanup();
  }
  console.log(`latency: one small write → all 4 local replicas: median ${ms(median(runs))} (min ${ms(Math.min(...runs))}, max ${ms(Math.max(...runs))}, ${runs.length} runs)`);
}

function writeBurst(source: string): void {
  for (let d = 0; d < 1000; d++) {
    const dir = path.join(source, `d${d % 10}`, `dir${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < 10; f++) writeFileSync(path.join(dir, `file${f}`), `dir ${d} file ${f}\n`.repeat(1 + ((d * f) % 7)));
  }
}

async function burst(): Promise<void> {
  const daemonRuns: number[] = [];
  const afterWrite: number[] = [];
  const rsyncRuns: number[] = [];
  for (let run = 0; run < 3; run++) {
    const t = tree(4);
    const d = await startCli(t.dir, t.source, t.replicas);
    try {
      const t0 = performance.now();
      writeBurst(t.source);
      const wrote = performance.now();
      await awaitConverged(t.source, t.replicas, 120_000, 100);
      daemonRuns.push(performance.now() - t0);
      afterWrite.push(performance.now() - wrote);
    } finally {
      await d.stop();
    }
    // The same tree, fresh replicas, plain rsync -a to all 4 in parallel.
    const fresh = t.replicas.map((r) => `${r}-plain`);
    for (const r of fresh) mkdirSync(r);
    const t1 = performance.now();
    await Promise.all(fresh.map((r) => execa('rsync', ['-a', `${t.source}/`, `${r}/`])));
    rsyncRuns.push(performance.now() - t1);
    t.cleanup();
  }
  const a = median(daemonRuns);
  const b = median(rsyncRuns);
  console.log(
    `burst: 10,000 files in 1,000 dirs → 4 replicas (3 runs, medians): livemirror from first write to converged ${ms(a)}, ` +
      `of which after the last write ${ms(median(afterWrite))}; plain rsync -a ×4 in parallel of the finished tree ${ms(b)}; ` +
      `ratio (after last write / plain rsync) ${(median(afterWrite) / b).toFixed(2)}`,
  );
}

async function bigtree(): Promise<void> {
  const t = tree(1);
  // 1,000 directories of 99 subdirectories each: 100,000 directories below the root.
  const top = Number(process.env['BIGTREE_TOP'] ?? 1000);
  for (let i = 0; i < top; i++) for (let j = 0; j < 99; j++) mkdirSync(path.join(t.source, `a${i}`, `b${j}`), { recursive: true });
  const t0 = performance.now();
  const d = await startCli(t.dir, t.source, t.replicas, ['--no-initial-sync']);
  const readyMs = performance.now() - t0;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.proc.pid}/status`, 'utf8'))?.[1] ?? NaN);
  const s = await fetchStatus(d.socket);
  await d.stop();
  t.cleanup();
  console.log(`bigtree: ${s.watches} directories watched; ready after ${ms(readyMs)} (process start included, no initial sync); RSS ${(rssKb / 1024).toFixed(0)} MiB`);
}

async function meshdb(): Promise<void> {
  const t = tree(0);
  // 100 directories of 1,000 files each, names like the churn's (f + base36).
  for (let i = 0; i < 100; i++) {
    mkdirSync(path.join(t.source, `d${i}`));
    for (let j = 0; j < 1000; j++) writeFileSync(path.join(t.source, `d${i}`, `f${(i * 1000 + j).toString(36)}.txt`), 'x');
  }
  const node = await MeshNode.open({ root: t.source, nodeName: 'bench', protection: true, tombstoneTtlMs: defaults.mesh.tombstoneTtlMs, maxDeleteShare: 1, isExcluded: () => false, log: createLogger({ level: 'error', format: 'json' }), clock: realClock });
  const t0 = performance.now();
  const recorded = (await node.catchUp()).length;
  const recordMs = performance.now() - t0;
  await node.close();
  const stateDir = path.join(t.source, meshRel.state);
  const du = (await execa('du', ['-sk', stateDir])).stdout.split('\t')[0];
  t.cleanup();
  console.log(`meshdb: ${recorded} paths recorded by a catch-up scan in ${ms(recordMs)}; state database ${(Number(du) / 1024).toFixed(1)} MiB on disk (du) per 100,000 paths`);
}

const which = process.argv[2];
const all: Record<string, () => Promise<void>> = { latency, burst, bigtree, meshdb };
for (const [name, fn] of Object.entries(all)) if (!which || which === name) await fn();
