import type { InventoryOs } from '../../../../vagrant/inventory-format.js';
import type { DiskFill } from '../../cluster.js';
import { dfArgv, fillCommand, fillDir, FILL_PREFIX, freeCommand, parseDf } from '../faults/disk.js';
import { NODE_DATA_DIR } from './layout.js';

/** Runs argv as root on one node, out of band (nsenter, container exec, ssh); never throws for a non-zero exit. */
export type NodeRun = (argv: readonly string[]) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

/** Where a node's data dir is and what tools it has (default: the netns and container nodes'). */
export interface DiskTarget {
  readonly dataDir: string;
  readonly os: InventoryOs;
}

const NODE_DISK: DiskTarget = { dataDir: NODE_DATA_DIR, os: 'linux' };

async function must(run: NodeRun, argv: readonly string[]): Promise<string> {
  const r = await run(argv);
  if (r.exitCode !== 0) throw new Error(`${argv.join(' ')} failed: exit ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** Bytes free on the data dir's filesystem, and where the fill files go (faults/disk.ts fillDir). */
async function df(run: NodeRun, t: DiskTarget): Promise<{ availBytes: number; dir: string }> {
  const d = parseDf(await must(run, dfArgv(t.dataDir)));
  return { availBytes: d.availBytes, dir: fillDir(t.dataDir, d.mountPoint) };
}

/**
 * Fills the data dir's filesystem with files beside the data dir (never inside it, so nothing
 * gets replicated), until no block is free: fallocate, or dd where the OS or filesystem has no
 * fallocate. Bounded: a few rounds, each allocating what is free.
 */
export async function fillDisk(run: NodeRun, t: DiskTarget = NODE_DISK): Promise<DiskFill> {
  let filled = 0;
  let useDd = false;
  for (let round = 0; round < 4; round++) {
    const { availBytes, dir } = await df(run, t);
    if (availBytes === 0) return { freeBytes: 0, filledBytes: filled };
    const cmd = fillCommand(t.os, `${dir}/${FILL_PREFIX}.${Date.now()}.${round}`, availBytes, useDd);
    const r = await run(cmd.argv);
    if (r.exitCode === 0 || cmd.okIf?.test(r.stderr)) filled += availBytes;
    else if (!useDd && /not supported/i.test(r.stderr)) useDd = true;
  }
  return { freeBytes: (await df(run, t)).availBytes, filledBytes: filled };
}

export async function freeDisk(run: NodeRun, t: DiskTarget = NODE_DISK): Promise<void> {
  const { dir } = await df(run, t);
  await must(run, freeCommand(dir).argv);
}
