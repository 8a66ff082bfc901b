/**
 * The change sources side by side (issue 9), on this machine, as root:
 *  - latency: one small file written by this process → on one local replica, per source
 *    (inotify, fanotify, linux-audit, poll): SAMPLES samples, p50/p99 of the daemon end to end;
 *  - large tree: DIRS directories with FILES_PER_DIR empty files each (full: 100,000 and
 *    1,000,000), and a tree a hundredth of it, watched from a cold start by fanotify and by
 *    inotify (RUNS each, alternating): process start → the daemon's `ready` line, and its RSS 2 s
 *    later. fanotify's must not grow with the directory count; inotify's walk does.
 * Prints a markdown report and writes it to docs/bench/sources.md with --publish.
 *
 *   tsx bench/sources.ts [--quick] [--publish]     (--quick: 10,000 dirs, 10 samples, 1 run)
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, closeSync, openSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { cliMain } from './contestants.js';
import { stopProcess } from './processes.js';
import { percentile } from './stats.js';

const quick = process.argv.includes('--quick');
const publish = process.argv.includes('--publish');
const DIRS = quick ? 10_000 : 100_000;
const FILES_PER_DIR = 10;
const RUNS = quick ? 1 : 3;
const SAMPLES = quick ? 10 : 30;
const LATENCY_SOURCES = ['inotify', 'fanotify', 'linux-audit', 'poll'] as const;
const TREE_SOURCES = ['fanotify', 'inotify'] as const;

interface Daemon {
  proc: ResultPromise;
  ready: Promise<{ ms: number; watcherLine?: string }>;
}

function startDaemon(watcher: string, source: string, replica: string, dir: string): Daemon {
  const proc = execa(
    'node',
    [cliMain, 'run', '--watcher', watcher, '--no-initial-sync', '--status-socket', path.join(dir, `${watcher}.sock`), '--log-format', 'json', '--log-level', 'info', source, replica],
    { reject: false, buffer: false, stdout: 'pipe', stderr: 'inherit' },
  );
  const t0 = performance.now();
  let watcherLine: string | undefined;
  const ready = new Promise<{ ms: number; watcherLine?: string }>((resolve, reject) => {
    const rl = readline.createInterface({ input: proc.stdout });
    rl.on('line', (line) => {
      if (line.includes('"event":"watcher"')) watcherLine = (JSON.parse(line) as { msg: string }).msg;
      if (line.includes('"event":"ready"')) resolve({ ms: performance.now() - t0, ...(watcherLine ? { watcherLine } : {}) });
    });
    rl.on('close', () => reject(new Error(`livemirror --watcher ${watcher} exited before it was ready`)));
  });
  return { proc, ready };
}

const rssMiB = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function latency(watcher: string, base: string): Promise<{ p50: number; p99: number; samples: number; misses: number }> {
  const dir = path.join(base, `lat-${watcher}`);
  const source = path.join(dir, 'source');
  const replica = path.join(dir, 'replica');
  mkdirSync(source, { recursive: true });
  mkdirSync(replica, { recursive: true });
  const d = startDaemon(watcher, source, replica, dir);
  const ms: number[] = [];
  let misses = 0;
  try {
    await d.ready;
    await sleep(1000);
    for (let i = 0; i < SAMPLES; i++) {
      const name = `sample-${i}`;
      const t0 = performance.now();
      writeFileSync(path.join(source, name), `sample ${i}\n`);
      const target = path.join(replica, name);
      let hit = false;
      for (let k = 0; k < 20_000 && performance.now() - t0 < 10_000; k++) {
        if (existsSync(target)) {
          hit = true;
          break;
        }
        await sleep(1);
      }
      if (hit) ms.push(performance.now() - t0);
      else misses++;
      await sleep(200 + Math.random() * 300);
    }
  } finally {
    await stopProcess(d.proc);
  }
  return { p50: percentile(ms, 50), p99: percentile(ms, 99), samples: ms.length, misses };
}

function makeTree(root: string, dirs: number, files: number): void {
  const perTop = 100;
  for (let d = 0; d < dirs; d++) {
    const dir = path.join(root, `t${Math.floor(d / perTop)}`, `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < files; f++) closeSync(openSync(path.join(dir, `f${f}`), 'w'));
  }
}

async function bigTree(watcher: string, source: string, replica: string, dir: string): Promise<{ readyMs: number; rssMiB: number }> {
  const d = startDaemon(watcher, source, replica, dir);
  try {
    const r = await d.ready;
    await sleep(2000);
    return { readyMs: r.ms, rssMiB: rssMiB(d.proc.pid as number) };
  } finally {
    await stopProcess(d.proc);
  }
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench/sources.ts needs root (fanotify, linux-audit)');
  const base = path.join(os.tmpdir(), `lm-bench-sources-${process.pid}`);
  mkdirSync(base, { recursive: true });
  const lines: string[] = [];
  const out = (s: string) => {
    console.log(s);
    lines.push(s);
  };
  try {
    out(`# Change sources side by side\n\n${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPUs, kernel ${os.release()}, ${quick ? 'quick' : 'full'} run (\`tsx bench/sources.ts${quick ? ' --quick' : ''}\`).\n`);
    out(`## Latency: one small file → one local replica (${SAMPLES} samples, written by another process than the daemon)\n`);
    out('| source | p50 | p99 | missed |');
    out('|---|---|---|---|');
    for (const w of LATENCY_SOURCES) {
      const r = await latency(w, base);
      out(`| ${w} | ${r.p50.toFixed(0)} ms | ${r.p99.toFixed(0)} ms | ${r.misses} |`);
    }
    out('\nlinux-audit and poll cannot see a writer close its file: the stable gate holds each file until its size and times stayed the same for 300 ms; poll also waits for its next pass (1 s).\n');

    out(`## Large tree: from process start to \`ready\` (no initial sync), and RSS 2 s later (${RUNS} run${RUNS > 1 ? 's' : ''} each, medians)\n`);
    out('| tree | source | ready | RSS |');
    out('|---|---|---|---|');
    for (const dirs of [DIRS / 100, DIRS]) {
      const dir = path.join(base, `tree-${dirs}`);
      const source = path.join(dir, 'source');
      const replica = path.join(dir, 'replica');
      mkdirSync(replica, { recursive: true });
      const t0 = performance.now();
      makeTree(source, dirs, FILES_PER_DIR);
      console.log(`  made ${dirs} dirs, ${dirs * FILES_PER_DIR} files in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const runs = new Map<string, Array<{ readyMs: number; rssMiB: number }>>(TREE_SOURCES.map((w) => [w, []]));
      for (let run = 0; run < RUNS; run++)
        for (const w of TREE_SOURCES) {
          const r = await bigTree(w, source, replica, dir);
          console.log(`  ${w} ${dirs} dirs run ${run + 1}: ready ${(r.readyMs / 1000).toFixed(2)} s, RSS ${r.rssMiB.toFixed(0)} MiB`);
          runs.get(w)!.push(r);
        }
      for (const w of TREE_SOURCES) {
        const rs = runs.get(w)!;
        out(`| ${dirs.toLocaleString('en')} dirs, ${(dirs * FILES_PER_DIR).toLocaleString('en')} files | ${w} | ${(percentile(rs.map((r) => r.readyMs), 50) / 1000).toFixed(2)} s | ${percentile(rs.map((r) => r.rssMiB), 50).toFixed(0)} MiB |`);
      }
      rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
  if (publish) {
    const file = path.resolve(import.meta.dirname, '..', 'docs/bench/sources.md');
    writeFileSync(file, lines.join('\n') + '\n');
    console.log(`written: ${file}`);
  }
}

await main();
