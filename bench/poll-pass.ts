// The cost of one pass of the poll source (docs/watchers/poll.md): builds a tree of N files
// (100 per directory) in a temp dir, then times passes over it the way the source runs them
// (scan + diff against the previous snapshot). Not part of `npm run bench`; run it alone:
//   npx tsx bench/poll-pass.ts 10000 100000
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diffSnapshots, type Snapshot } from '../src/watch/poll-diff.js';
import { scanTree } from '../src/watch/poll-scan.js';
import { defaults } from '../src/config/defaults.js';

const PER_DIR = 100;
const PASSES = 5;

async function measure(files: number): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'livemirror-pollpass-'));
  try {
    for (let d = 0; d < files / PER_DIR; d++) {
      const dir = join(root, `d${d}`);
      mkdirSync(dir);
      for (let f = 0; f < PER_DIR; f++) writeFileSync(join(dir, `f${f}`), 'x');
    }
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    // The longest the event loop waited during the passes: what a pass costs the rest of the daemon.
    let maxLag = 0;
    let last = performance.now();
    const lag = setInterval(() => {
      const now = performance.now();
      maxLag = Math.max(maxLag, now - last - 1);
      last = now;
    }, 1);
    let prev: Snapshot | undefined;
    const walls: number[] = [];
    const cpus: number[] = [];
    let peakRss = 0;
    for (let i = 0; i <= PASSES; i++) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const { snapshot } = await scanTree({ root, isExcluded: () => false, sliceEntries: defaults.poll.sliceEntries });
      if (prev) diffSnapshots(prev, snapshot, 0);
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      prev = snapshot;
      if (i === 0) continue; // the first pass warms the JIT and the dentry cache
      walls.push(wall);
      cpus.push((cpu.user + cpu.system) / 1000);
      if (i === 1) maxLag = 0;
    }
    clearInterval(lag);
    global.gc?.();
    const rssKept = process.memoryUsage().rss;
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
    const mb = (b: number) => (b / 2 ** 20).toFixed(0);
    console.log(
      `${files} files + ${files / PER_DIR} dirs: pass wall median ${median(walls).toFixed(0)} ms (min ${Math.min(...walls).toFixed(0)}, max ${Math.max(...walls).toFixed(0)}), ` +
        `CPU median ${median(cpus).toFixed(0)} ms, event loop max lag ${maxLag.toFixed(0)} ms; ` +
        `RSS before ${mb(rssBefore)} MiB, peak ${mb(peakRss)} MiB, with one snapshot kept ${mb(rssKept)} MiB`,
    );
    if (prev?.size !== files + files / PER_DIR + 1) throw new Error(`snapshot holds ${prev?.size} entries`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

for (const arg of process.argv.slice(2)) await measure(Number(arg));
