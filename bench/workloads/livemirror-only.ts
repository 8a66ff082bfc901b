/**
 * The workloads only livemirror runs:
 *  bigtree  a tree of TOP×(SUB+1) directories: time until the daemon is `ready` (process start
 *           included, no initial sync) and its RSS then;
 *  meshdb   a mesh node's state database for DIRS×FILES paths: time to record them in a catch-up
 *           scan, size on disk (du);
 *  status   wall time of `node dist/cli/main.js status --socket S` against a running daemon.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { defaults } from '../../src/config/defaults.js';
import { realClock } from '../../src/core/clock.js';
import { meshRel } from '../../src/core/mesh-layout.js';
import { MeshNode } from '../../src/mesh/mesh.js';
import { fetchStatus } from '../../src/observe/status-client.js';
import { createLogger } from '../../src/observe/log.js';
import type { BenchConfig } from '../config.js';
import { cliMain, startLivemirror } from '../contestants.js';
import { withTree } from '../processes.js';
import type { BigtreeResult, MeshdbResult, StatusResult } from '../results.js';
import { median } from '../stats.js';

const failed = (e: unknown) => ({ status: 'failed' as const, reason: (e as Error).message });

export async function runBigtree(cfg: BenchConfig): Promise<BigtreeResult> {
  const { top, sub } = cfg.bigtree;
  const base = { workload: 'bigtree' as const, contestant: 'livemirror' as const, dirs: top * (sub + 1) };
  try {
    return await withTree(1, async (t) => {
      for (let i = 0; i < top; i++) for (let j = 0; j < sub; j++) mkdirSync(path.join(t.source, `a${i}`, `b${j}`), { recursive: true });
      const t0 = performance.now();
      const d = await startLivemirror(t, ['--no-initial-sync']);
      try {
        const readyMs = performance.now() - t0;
        const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.pid}/status`, 'utf8'))?.[1] ?? NaN);
        const s = await fetchStatus(d.socket);
        return { ...base, status: 'ok' as const, watches: s.watches, readyMs, rssMiB: rssKb / 1024 };
      } finally {
        await d.stop();
      }
    });
  } catch (e) {
    return { ...base, ...failed(e) };
  }
}

export async function runMeshdb(cfg: BenchConfig): Promise<MeshdbResult> {
  const { dirs, filesPerDir } = cfg.meshdb;
  const base = { workload: 'meshdb' as const, contestant: 'livemirror' as const, paths: dirs * filesPerDir };
  try {
    return await withTree(0, async (t) => {
      // Names like the churn's (f + base36).
      for (let i = 0; i < dirs; i++) {
        mkdirSync(path.join(t.source, `d${i}`));
        for (let j = 0; j < filesPerDir; j++) writeFileSync(path.join(t.source, `d${i}`, `f${(i * filesPerDir + j).toString(36)}.txt`), 'x');
      }
      const node = await MeshNode.open({
        root: t.source,
        nodeName: 'bench',
        protection: true,
        tombstoneTtlMs: defaults.mesh.tombstoneTtlMs,
        maxDeleteShare: 1,
        isExcluded: () => false,
        log: createLogger({ level: 'error', format: 'json' }),
        clock: realClock,
      });
      let recorded: number;
      let recordMs: number;
      try {
        const t0 = performance.now();
        recorded = (await node.catchUp()).length;
        recordMs = performance.now() - t0;
      } finally {
        await node.close();
      }
      const du = (await execa('du', ['-sk', path.join(t.source, meshRel.state)])).stdout.split('\t')[0];
      return { ...base, status: 'ok' as const, recorded, recordMs, dbMiB: Number(du) / 1024 };
    });
  } catch (e) {
    return { ...base, ...failed(e) };
  }
}

export async function runStatus(cfg: BenchConfig): Promise<StatusResult> {
  const samplesMs: number[] = [];
  const base = { workload: 'status' as const, contestant: 'livemirror' as const };
  try {
    await withTree(cfg.replicas, async (t) => {
      writeFileSync(path.join(t.source, 'a.txt'), 'a\n');
      const d = await startLivemirror(t);
      try {
        for (let i = 0; i < cfg.status.runs; i++) {
          const t0 = performance.now();
          const r = await execa('node', [cliMain, 'status', '--socket', d.socket], { reject: false, timeout: 30_000 });
          const ms = performance.now() - t0;
          if (r.exitCode !== 0) throw new Error(`livemirror status exited ${r.exitCode ?? r.signal}: ${String(r.stderr).trim()}`);
          samplesMs.push(ms);
        }
      } finally {
        await d.stop();
      }
    });
  } catch (e) {
    return { ...base, ...failed(e), samplesMs, medianMs: median(samplesMs) };
  }
  return { ...base, status: 'ok', samplesMs, medianMs: median(samplesMs) };
}
