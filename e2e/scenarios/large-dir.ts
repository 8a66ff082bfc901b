#!/usr/bin/env -S npx tsx
/**
 * large-dir: src1 mirrors to dst1 (rsync daemon) a tree with a huge directory — the shape at which
 * the classic fam_mirror (FAM + imon) broke: 4000-5000 subdirectories in ONE directory.
 *  1. 5 000 subdirectories of `big/`, one small file each, made before the daemon starts; ready
 *     time (initial sync included), daemon RSS, converged; one change 10 levels below an existing
 *     directory → on dst1 (timed); then 5 000 more directories with a file each, all at once →
 *     converged (timed), every directory watched, a later write into one of them replicated.
 *  2. Only with LARGE=1 (too slow for the CI budget): a fresh daemon on 100 000 directories /
 *     200 000 files: ready time, RSS, one deep change, converged.
 */
import type { NodeSession } from '../harness/node.js';
import { fixedInterval, poll } from '../harness/poll.js';
import { runRemoteScript } from '../harness/remote-script.js';
import { type Scenario, scenario } from './lib.js';

/** What remote/make-tree.mjs makes: `count` directories `<prefix>NNNNN` in `root` (or in groups of `perGroup`), `files` files each. */
interface TreeRequest {
  readonly root: string;
  readonly prefix: string;
  readonly start: number;
  readonly count: number;
  readonly perGroup: number;
  readonly files: number;
}

interface Made {
  dirs: number;
  files: number;
  startedAt: number;
  doneAt: number;
}

const DEEP = 'l1/l2/l3/l4/l5/l6/l7/l8/l9/l10';
const ONE_LINE = (s: string): string => s.split('\n')[0] ?? '';

await scenario('large-dir', 'large-dir', async (s) => {
  const data = s.node('src1').info.dataDir;
  // 1. 5 000 subdirectories in one directory, made before the daemon starts.
  await mirrorFreshTree(s, '', { root: `${data}/big`, prefix: 'd', start: 0, count: 5000, perGroup: 0, files: 1 }, { makeMs: 120_000, readyMs: 90_000, convergeMs: 30_000 });
  // One change ten levels below an existing directory (the new directories need watches at once).
  s.figure('deep_change_ms', await deepChange(s, `big/d02500/${DEEP}`, 'deep.txt', 20_000));
  await s.converged(['src1', 'dst1'], 20_000);
  await burstOfNewDirectories(s);
  await everyDirectoryWatched(s);

  // 2. 100 000 directories / 200 000 files (LARGE=1 only: too slow for the CI budget).
  if (process.env['LARGE'] !== '1') {
    s.log('step 2 (100 000 directories) skipped: set LARGE=1 to run it');
    return;
  }
  await s.daemon('src1').stop(30_000);
  await Promise.all(s.nodes('src1', 'dst1').map((n) => n.$`find ${n.info.dataDir} -mindepth 1 -delete`.timeout(300_000)));
  await mirrorFreshTree(s, 'large_', { root: `${data}/huge`, prefix: 'd', start: 0, count: 100_000, perGroup: 1000, files: 2 }, { makeMs: 600_000, readyMs: 900_000, convergeMs: 300_000 });
  s.figure('large_deep_change_ms', await deepChange(s, `huge/g050/d00500/${DEEP}`, 'deep.txt', 60_000));
  const c = await s.converged(['src1', 'dst1'], 300_000);
  s.figure('large_entries_after_deep_change', c.count);
  await daemonFigures(s, 'large_end_');
});

function makeTree(node: NodeSession, req: TreeRequest, timeoutMs: number): Promise<Made> {
  return runRemoteScript<Made>(node, 'make-tree', req, { timeoutMs });
}

/**
 * A tree made on src1 before its daemon starts, then mirrored to dst1: creation time, ready time
 * (initial sync included), watches, daemon memory, converged. Figures named `<prefix>…`.
 */
async function mirrorFreshTree(s: Scenario, prefix: string, tree: TreeRequest, deadlines: { makeMs: number; readyMs: number; convergeMs: number }): Promise<void> {
  const made = await makeTree(s.node('src1'), tree, deadlines.makeMs);
  s.figure(`${prefix}dirs`, made.dirs);
  s.figure(`${prefix}files`, made.files);
  s.figure(`${prefix}create_ms`, made.doneAt - made.startedAt);
  await s.startDaemon('src1', [s.daemonReplica('dst1')]);
  const ready = await s.awaitReady('src1', { deadlineMs: deadlines.readyMs, figure: `${prefix}ready_ms` });
  s.figure(`${prefix}watches`, ready.watches);
  await daemonFigures(s, prefix);
  const c = await s.converged(['src1', 'dst1'], deadlines.convergeMs);
  s.figure(`${prefix}entries`, c.count);
  s.figure(`${prefix}converge_after_ready_ms`, c.elapsedMs);
}

/**
 * 5 000 new directories with one file each, all at once, into the same big directory — written
 * while the daemon runs, as a user would. (This found a kernel race: re-adding a watch without
 * IN_MASK_ADD dropped 1-5 of the 5,000 creates; see src/watch/watch-set.ts.)
 */
async function burstOfNewDirectories(s: Scenario): Promise<void> {
  const burst = await makeTree(s.node('src1'), { root: `${s.node('src1').info.dataDir}/big`, prefix: 'n', start: 0, count: 5000, perGroup: 0, files: 1 }, 120_000);
  const burstEnd = Date.now();
  s.figure('burst_dirs', burst.dirs);
  s.figure('burst_create_ms', burst.doneAt - burst.startedAt);
  const c = await s.converged(['src1', 'dst1'], 60_000);
  s.figure('burst_converge_ms', Date.now() - burstEnd);
  s.figure('entries_after_burst', c.count);
}

/** Every directory is watched: a later write into one of the new directories arrives too. */
async function everyDirectoryWatched(s: Scenario): Promise<void> {
  const src1 = s.node('src1');
  const st = await s.status('src1');
  const dirs = (await src1.$`find ${src1.info.dataDir} -type d -printf .`.timeout(120_000)).stdout.length;
  s.figure('watches_after_burst', st.watches);
  s.figure('overflows', st.overflows);
  s.figure('watcher', st.watcher ?? 'unknown');
  // inotify holds one watch per directory; fanotify (E2E_WATCHER=fanotify) one mark for the whole filesystem.
  if (st.watcher === 'fanotify') s.check('one fanotify mark covers every directory', st.watches === 1, `${st.watches} marks, ${dirs} directories`);
  else s.check('every directory of the source is watched', st.watches === dirs, `${st.watches} watches, ${dirs} directories, watcher ${st.watcher ?? 'unknown'}`);
  s.figure('late_change_in_burst_dir_ms', await deepChange(s, 'big/n04999', 'late.txt', 20_000));
  await daemonFigures(s, 'after_burst_');
  const r = st.replicas[0];
  s.check('dst1 idle with no error after the burst', r?.state === 'idle' && r.lastError === undefined, r ? `${r.state}${r.lastError ? `: ${ONE_LINE(r.lastError.message)}` : ''}` : 'no replica');
}

/** VmRSS and VmHWM (peak) of `pid` on the node, in MiB. The pid is the node's (its own pid namespace, /proc mounted for it). */
async function memoryOf(node: NodeSession, pid: number): Promise<{ rssMiB: number; peakMiB: number }> {
  const text = (await node.$`cat ${`/proc/${pid}/status`}`).stdout;
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!m?.[1]) throw new Error(`${node.name}: no ${key} in /proc/${pid}/status`);
    return Number(m[1]);
  };
  return { rssMiB: kb('VmRSS') / 1024, peakMiB: kb('VmHWM') / 1024 };
}

/**
 * Writes `<dir>/<file>` on src1 (mkdir -p and the write in one go: remote/deep-write.mjs) and
 * polls dst1 every 10 ms until the file is there with the same content; resolves ms from the
 * write to the first sight on dst1 (the nodes share the machine's clock).
 */
async function deepChange(s: Scenario, relDir: string, file: string, deadlineMs: number): Promise<number> {
  const src = s.node('src1');
  const dst = s.node('dst1');
  const content = `deep change ${relDir} ${Date.now()}\n`;
  const { writtenAt } = await runRemoteScript<{ writtenAt: number }>(src, 'deep-write', { dir: `${src.info.dataDir}/${relDir}`, file, content });
  const target = `${dst.info.dataDir}/${relDir}/${file}`;
  const r = await poll(async () => {
    const out = await dst.$`cat -- ${target}`.nothrow();
    return { done: out.ok && out.stdout === content, value: Date.now() - writtenAt };
  }, fixedInterval(deadlineMs, 10));
  if (!r.ok) throw new Error(`${relDir}/${file} not on dst1 after ${deadlineMs} ms\n${await s.daemon('src1').logTail(25)}`);
  return r.value;
}

/** The daemon's pid as the harness and the daemon itself see it, and its memory. */
async function daemonFigures(s: Scenario, prefix: string): Promise<void> {
  const d = s.daemon('src1');
  const st = await s.status('src1');
  s.check(`${prefix}daemon pid from the harness is the daemon's own pid (node pid namespace)`, st.pid === d.pid, `harness ${d.pid}, status ${st.pid}`);
  const mem = await memoryOf(s.node('src1'), d.pid);
  s.figure(`${prefix}rss_mib`, mem.rssMiB);
  s.figure(`${prefix}rss_peak_mib`, mem.peakMiB);
}
