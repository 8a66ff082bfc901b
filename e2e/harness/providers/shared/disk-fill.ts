import type { DiskFill } from '../../cluster.js';
import { NODE_DATA_FS, NODE_FILL_PREFIX } from './layout.js';

/** Runs argv as root on one node, out of band (nsenter, container exec); never throws for a non-zero exit. */
export type NodeRun = (argv: readonly string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

async function must(run: NodeRun, argv: readonly string[]): Promise<string> {
  const r = await run(argv);
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} failed: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

async function freeBytes(run: NodeRun): Promise<number> {
  const out = await must(run, ['stat', '-f', '-c', '%a %S', NODE_DATA_FS]);
  const [avail, block] = out.trim().split(' ').map(Number);
  if (avail === undefined || block === undefined || !Number.isFinite(avail * block)) throw new Error(`stat -f: ${out}`);
  return avail * block;
}

/**
 * Fills the data filesystem with files beside the data dir (never inside it, so nothing gets
 * replicated), until no block is free. Bounded: a few rounds, each allocating what is free.
 */
export async function fillDisk(run: NodeRun): Promise<DiskFill> {
  let filled = 0;
  for (let round = 0; round < 4; round++) {
    const free = await freeBytes(run);
    if (free === 0) return { freeBytes: 0, filledBytes: filled };
    const file = `${NODE_DATA_FS}/${NODE_FILL_PREFIX}.${Date.now()}.${round}`;
    const r = await run(['fallocate', '-l', String(free), file]);
    if (r.exitCode === 0) filled += free;
  }
  return { freeBytes: await freeBytes(run), filledBytes: filled };
}

export async function freeDisk(run: NodeRun): Promise<void> {
  await must(run, ['find', NODE_DATA_FS, '-maxdepth', '1', '-name', `${NODE_FILL_PREFIX}.*`, '-delete']);
}
