import type { InventoryOs } from '../../../../vagrant/inventory-format.js';
import { NODE_FILL_PREFIX } from '../shared/layout.js';
import type { Command } from './host-runner.js';

/**
 * Disk-full faults (pure): files beside the data dir (never inside it, so nothing is replicated)
 * on the filesystem that holds it, made with fallocate (Linux) or dd until the filesystem is full
 * (FreeBSD, or a Linux filesystem without fallocate); freeing removes them.
 */

/** The fill files of every provider (shared/disk-fill.ts runs these commands). */
export const FILL_PREFIX = NODE_FILL_PREFIX;

export interface DfLine {
  /** Bytes available to root... as df reports them (POSIX `df -P -k`: 1024-byte blocks). */
  readonly availBytes: number;
  readonly mountPoint: string;
}

/** `df -P -k DIR` for the filesystem holding DIR. */
export function dfArgv(dir: string): string[] {
  return ['df', '-P', '-k', dir];
}

/** Parses `df -P -k` output (one filesystem; the mount point may contain spaces). */
export function parseDf(text: string): DfLine {
  const lines = text.trim().split('\n');
  const last = lines[lines.length - 1] ?? '';
  if (lines.length < 2) throw new Error(`df: unexpected output ${JSON.stringify(text)}`);
  const m = /^(.*\S)\s+(\d+)\s+(\d+)\s+(-?\d+)\s+(\d+%|-)\s+(\/.*)$/.exec(last);
  if (!m) throw new Error(`df: unexpected line ${JSON.stringify(last)}`);
  return { availBytes: Math.max(0, Number(m[4])) * 1024, mountPoint: m[6] as string };
}

/** Where fill files go for `dataDir` on the filesystem mounted at `mountPoint`; throws when that is unsafe. */
export function fillDir(dataDir: string, mountPoint: string): string {
  const d = dataDir.replace(/\/+$/, '') || '/';
  const mp = mountPoint.replace(/\/+$/, '') || '/';
  if (mp === '/') {
    throw new Error(`the data dir ${dataDir} is on the root filesystem: fillDisk would fill /; give the data dir a filesystem of its own (vagrant/provision-*.sh make /srv)`);
  }
  if (d === mp) throw new Error(`the data dir ${dataDir} is the mount point itself: there is no room beside it for the fill files; use a directory below it`);
  if (!d.startsWith(`${mp}/`)) throw new Error(`df says ${dataDir} is on ${mountPoint}, which does not contain it`);
  return mp;
}

/** One round of filling: `bytes` into a new file `path`. */
export function fillCommand(os: InventoryOs, path: string, bytes: number, useDd = false): Command {
  if (os === 'linux' && !useDd) return { argv: ['fallocate', '-l', String(Math.max(1, Math.floor(bytes))), '--', path] };
  // dd until the filesystem refuses: exits non-zero with "No space left on device" / "filesystem full".
  return { argv: ['dd', 'if=/dev/zero', `of=${path}`, 'bs=1048576'], okIf: /No space left|filesystem full|file system full/i };
}

/** Removes every fill file under `dir` (top level only). */
export function freeCommand(dir: string): Command {
  return { argv: ['find', dir, '-maxdepth', '1', '-type', 'f', '-name', `${FILL_PREFIX}.*`, '-delete'] };
}
