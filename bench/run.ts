/**
 * npm run bench [-- latency|burst|idle|bigtree|meshdb|status|sshlatency|bigfile ...] [--quick] [--out DIR] [--publish]
 *   [--contestants a,b] [--burst-sizes FILESxDIRS[xRUNS],...]   (BENCH_TINY=1: a few files, 3 samples)
 * npm run bench -- --from-json FILE [--out DIR] [--publish]      (the table and charts again)
 *
 * Runs every contestant (contestants.ts: livemirror, lsyncd-default, lsyncd-tuned, rsync-loop,
 * floor) through the same workloads (workloads/) one after another, each on fresh temp trees
 * (sshlatency and bigfile: one replica behind a loopback sshd, ssh-contestants.ts),
 * and writes into DIR (default bench/results) the JSON of every sample, the markdown table and
 * the SVG charts (outputs.ts). Needs `npm run build` first: livemirror runs as its built CLI.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchConfig, parseBenchArgs, type BenchArgs, type ContestantName } from './config.js';
import { ALL_CONTESTANTS, cliMain } from './contestants.js';
import { lsyncdVersion, machineFacts } from './machine.js';
import { jsonPath, repoRoot, saveJson, writeOutputs } from './outputs.js';
import type { BenchReport } from './results.js';
import { sanityProblems } from './sanity.js';
import { sshContestants } from './ssh-contestants.js';
import { runBigfile } from './workloads/bigfile.js';
import { runBurst } from './workloads/burst.js';
import { runIdle } from './workloads/idle.js';
import { latencyLine, runLatency } from './workloads/latency.js';
import { runBigtree } from './workloads/bigtree.js';
import { runFarm } from './workloads/farm.js';
import { runMeshdb, runStatus } from './workloads/livemirror-only.js';
import { runSshLatency } from './workloads/sshlatency.js';

const log = (s: string) => console.log(s);
const rel = (f: string) => path.relative(process.cwd(), f) || '.';

async function measure(args: BenchArgs, outDir: string): Promise<BenchReport> {
  if (!existsSync(cliMain)) throw new Error(`${path.relative(repoRoot, cliMain)} is missing: run \`npm run build\` first`);
  mkdirSync(outDir, { recursive: true }); // before the first measurement, so that a bad --out fails at once
  const cfg = benchConfig(args.mode);
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    mode: args.mode,
    workloads: args.workloads,
    contestants: args.contestants,
    setups: Object.fromEntries(Object.values(ALL_CONTESTANTS).map((c) => [c.name, c.runs])) as Record<ContestantName, string>,
    machine: await machineFacts(),
    results: [],
  };
  log(`bench: ${args.mode} run of ${args.workloads.join(', ')}; contestants ${args.contestants.join(', ')}; results in ${rel(outDir)}`);
  for (const w of args.workloads) {
    const tw = performance.now();
    log(`\n== ${w}`);
    if (w === 'latency') {
      for (const name of args.contestants) {
        const c = ALL_CONTESTANTS[name];
        if (c.latencyDeadlineMs === undefined) continue; // floor: burst only
        const r = await runLatency(c, cfg, log);
        report.results.push(r);
        log(latencyLine(name, r));
        saveJson(outDir, report);
      }
    } else if (w === 'idle') {
      for (const name of args.contestants) {
        const c = ALL_CONTESTANTS[name];
        if (c.latencyDeadlineMs === undefined || c.periodMs !== undefined) continue; // daemons only: not floor, not the loop
        const r = await runIdle(c, cfg, log);
        report.results.push(r);
        if (r.status !== 'ok') log(`  ${name}: ${r.status}: ${r.reason}`);
        saveJson(outDir, report);
      }
    } else if (w === 'burst') {
      for (const size of args.burstSizes ?? cfg.burst.sizes) {
        for (const name of args.contestants) {
          const r = await runBurst(ALL_CONTESTANTS[name], cfg, size, log);
          report.results.push(r);
          if (r.status !== 'ok') log(`  ${name}: ${r.status}: ${r.reason}`);
          saveJson(outDir, report);
        }
      }
    } else if (w === 'sshlatency') {
      for (const c of sshContestants('sshlatency', args.contestants)) {
        const r = await runSshLatency(c, cfg, log);
        report.results.push(r);
        log(latencyLine(c.label, r));
        saveJson(outDir, report);
      }
    } else if (w === 'bigfile') {
      for (const c of sshContestants('bigfile', args.contestants)) {
        const r = await runBigfile(c, cfg, log);
        report.results.push(r);
        if (r.status !== 'ok') log(`  ${c.label}: ${r.status}: ${r.reason}`);
        saveJson(outDir, report);
      }
    } else if (w === 'bigtree') {
      for (const r of await runBigtree(cfg, args.contestants, log)) {
        report.results.push(r);
        if (r.status !== 'ok') log(`  ${r.contestant}: ${r.status}: ${r.reason}`);
      }
      saveJson(outDir, report);
    } else if (w === 'farm') {
      const r = await runFarm(log);
      report.results.push(r);
      if (r.status !== 'ok') log(`  farm: ${r.status}: ${r.reason}`);
      saveJson(outDir, report);
    } else {
      const r = w === 'meshdb' ? await runMeshdb(cfg) : await runStatus(cfg);
      report.results.push(r);
      log(`  ${JSON.stringify(r)}`);
      saveJson(outDir, report);
    }
    log(`  (${w}: ${((performance.now() - tw) / 1000).toFixed(1)} s)`);
  }
  report.finishedAt = new Date().toISOString();
  report.machine.loadavgEnd = os.loadavg();
  if (report.machine.lsyncd === 'not installed') report.machine.lsyncd = await lsyncdVersion();
  saveJson(outDir, report);
  return report;
}

async function main(args: BenchArgs): Promise<void> {
  const t0 = performance.now();
  const outDir = path.resolve(args.out);
  const report = args.fromJson ? (JSON.parse(readFileSync(args.fromJson, 'utf8')) as BenchReport) : await measure(args, outDir);
  const written = await writeOutputs(outDir, report, args.publish);
  log(`\nbench: wrote ${[...(args.fromJson ? [] : [jsonPath(outDir, report)]), ...written].map(rel).join(', ')}`);
  const secs = (performance.now() - t0) / 1000;
  log(`bench: done in ${secs.toFixed(1)} s`);
  // --quick promises 3 minutes (issue #8): say so when a run broke that, e.g. on a loaded machine.
  if (args.mode === 'quick' && !args.fromJson && secs > 180) log(`bench: this quick run took ${secs.toFixed(0)} s, over its 3-minute budget (load average now ${os.loadavg()[0]!.toFixed(1)})`);
  const problems = sanityProblems(report);
  if (problems.length > 0) throw new Error(`the numbers of this run cannot be believed:\n  ${problems.join('\n  ')}`);
}

let args: BenchArgs;
try {
  args = parseBenchArgs(process.argv.slice(2), process.env);
} catch (e) {
  console.error((e as Error).message);
  process.exit(2);
}
try {
  await main(args);
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  process.exitCode = 1;
}
