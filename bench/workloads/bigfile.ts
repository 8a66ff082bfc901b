/**
 * bigfile (issue #8): a file of random bytes (1 GiB at full size) that the ssh replica already
 * holds; 1 MiB in its middle is overwritten in place (same size), and the replica is polled
 * until its file equals the source's. Over a remote shell rsync sends a delta by default (only
 * local copies default to --whole-file), so what crosses the wire should be close to the changed
 * MiB plus rsync's block checksums (~20 bytes per block of ~√size: ~0.7 MiB for 1 GiB) — through
 * livemirror as through a plain rsync. Figures per run: the seconds until equal, and the bytes
 * `lo` received over that span (net-dev.ts: both directions of the ssh traffic cross loopback and
 * are counted once each; other loopback traffic of the machine during the span counts too).
 *
 * The replica's copy is made before the contestant starts (`cp -p`, then given to the ssh user),
 * so its initial sync only compares; it is timed (startMs) but not part of the figures.
 */
import { closeSync, openSync, readSync, statSync, utimesSync, writeSync, type BigIntStats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { execa } from 'execa';
import { BIGFILE_CHANGE_BYTES, bigfileDeadlineMs, type BenchConfig } from '../config.js';
import { withLoopbackSshd, type LoopbackSshd } from '../loopback-sshd.js';
import { loRxBytes } from '../net-dev.js';
import type { BigfileResult, BigfileRun } from '../results.js';
import { canRunOverSsh, makeSshTree, type SshContestant } from '../ssh-contestants.js';

const MiB = 1024 * 1024;
const POLL_MS = 25;
/** Besides the changed region, this much is compared at the start, the quarters and the end. */
const SAMPLE_BYTES = 64 * 1024;

function writeRandomFile(file: string, bytes: number): void {
  const fd = openSync(file, 'w');
  try {
    for (let at = 0; at < bytes; at += MiB) writeSync(fd, randomBytes(Math.min(MiB, bytes - at)));
  } finally {
    closeSync(fd);
  }
}

function readAt(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(length);
    const n = readSync(fd, buf, 0, length, offset);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The regions compared (offset, length): the changed one and a few samples around it. */
function regionsOf(size: number, changeAt: number, changeBytes: number): [number, number][] {
  const sample = Math.min(SAMPLE_BYTES, size);
  return [[changeAt, changeBytes], [0, sample], [Math.floor(size / 4), sample], [Math.floor((3 * size) / 4), sample], [size - sample, sample]];
}

/**
 * Whether the replica's file equals the source's as far as a poll can afford to look: the same
 * size and mtime to the nanosecond, and the same bytes in `regions` (the source's given).
 */
function sameFile(src: BigIntStats, expected: readonly { at: number; bytes: Buffer }[], replicaFile: string): boolean {
  const r = statSync(replicaFile, { bigint: true, throwIfNoEntry: false });
  if (!r || r.size !== src.size || r.mtimeNs !== src.mtimeNs) return false;
  return expected.every((e) => readAt(replicaFile, e.at, e.bytes.length).equals(e.bytes));
}

/** Where the change goes: 1 MiB (or what fits) from the middle. */
const changeOf = (sizeBytes: number) => ({ at: Math.floor(sizeBytes / 2), bytes: Math.min(BIGFILE_CHANGE_BYTES, sizeBytes - Math.floor(sizeBytes / 2)) });

async function oneRun(c: SshContestant, sshd: LoopbackSshd, sizeBytes: number, deadlineMs: number): Promise<BigfileRun> {
  const t = makeSshTree(sshd);
  try {
    const file = path.join(t.source, 'big.bin');
    const replicaFile = path.join(t.replica, 'big.bin');
    writeRandomFile(file, sizeBytes);
    // An hour old: the change must land in another second than the original, or a plain rsync's
    // quick check (whole seconds by default; lsyncd and floor run rsync as is) would skip it.
    const old = Date.now() / 1000 - 3600;
    utimesSync(file, old, old);
    await execa('cp', ['-p', '--', file, replicaFile], { timeout: 600_000 });
    sshd.giveToUser(replicaFile);
    const t0 = performance.now();
    const running = await c.start(t, sshd);
    const startMs = performance.now() - t0;
    try {
      const { at: changeAt, bytes: changeBytes } = changeOf(sizeBytes);
      const rx0 = loRxBytes();
      const tc = performance.now();
      const fd = openSync(file, 'r+');
      try {
        writeSync(fd, randomBytes(changeBytes), 0, changeBytes, changeAt);
      } finally {
        closeSync(fd);
      }
      running.afterWrites?.();
      const src = statSync(file, { bigint: true });
      const expected = regionsOf(sizeBytes, changeAt, changeBytes).map(([at, len]) => ({ at, bytes: readAt(file, at, len) }));
      const maxPolls = Math.ceil(deadlineMs / POLL_MS) + 2;
      for (let k = 0; k < maxPolls; k++) {
        if (sameFile(src, expected, replicaFile)) return { startMs, convergeMs: performance.now() - tc, loRxBytes: loRxBytes() - rx0 };
        if (performance.now() - tc > deadlineMs) break;
        await delay(POLL_MS);
      }
      throw new Error(`the replica's file did not equal the source's within ${deadlineMs} ms of the change`);
    } finally {
      await running.stop();
    }
  } finally {
    t.cleanup();
  }
}

export async function runBigfile(c: SshContestant, cfg: BenchConfig, log: (s: string) => void): Promise<BigfileResult> {
  const sizeBytes = cfg.bigfile.sizeMiB * MiB;
  const deadlineMs = bigfileDeadlineMs(cfg.bigfile.sizeMiB);
  const base = { workload: 'bigfile' as const, contestant: c.name, sizeBytes, changedBytes: changeOf(sizeBytes).bytes, deadlineMs };
  const runs: BigfileRun[] = [];
  const avail = await canRunOverSsh(c);
  if (!avail.ok) return { ...base, status: 'not installed', reason: avail.reason, runs };
  try {
    await withLoopbackSshd(async (sshd) => {
      for (let i = 0; i < cfg.bigfile.runs; i++) {
        const run = await oneRun(c, sshd, sizeBytes, deadlineMs);
        runs.push(run);
        log(`  ${c.label} run ${i + 1}/${cfg.bigfile.runs}: equal after ${(run.convergeMs / 1000).toFixed(2)} s, ${(run.loRxBytes / MiB).toFixed(2)} MiB on lo (${(run.loRxBytes / base.changedBytes).toFixed(2)}× the change); start ${(run.startMs / 1000).toFixed(2)} s`);
      }
    });
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message, runs };
  }
  return { ...base, status: 'ok', runs };
}
