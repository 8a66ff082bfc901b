import { randomBytes } from 'node:crypto';
import { promises as fsp, type BigIntStats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { joinBytes, parentBytes, type RelPath } from '../core/path.js';
import { checked, loadLibc } from '../watch/sys/libc.js';
import type { RsyncStats } from './types.js';

/**
 * Small files to a local replica without an rsync process: what one `rsync -a` of one small
 * file does here, in-process — ~1 ms against the ~60 ms of spawning rsync (issue 8's latency).
 * Each file is read whole, written under a temporary name in its destination directory
 * (`.<name>.lm<random>`, as rsync's `.<name>.<random>`), given the source's mode, owner and
 * group (as root; otherwise the group where this user may) and its mtime to the nanosecond
 * (futimens through koffi: Node's utimes rounds to microseconds, and livemirror's rsync compares
 * nanoseconds, --modify-window=-1), then renamed over the old file: a reader of the replica
 * sees the old file or the new one, never a part.
 *
 * Contract: `copy` never rejects. A path it does not copy goes back in `rest` for rsync, which
 * handles everything this does not: files over `maxBytes`, anything but a regular file, a
 * destination that is a directory, a destination directory that does not exist or is not a
 * plain directory (a symlink on the replica is never followed), a source that changed while it
 * was read, and every error (rsync then reports it as it does for any file).
 */
export interface LocalCopyResult {
  copied: RelPath[];
  rest: RelPath[];
  stats: RsyncStats;
}

export interface LocalCopyOptions {
  sourceRoot: string;
  replicaRoot: string;
  maxBytes: number;
  signal?: AbortSignal;
}

export async function copySmallFiles(paths: readonly RelPath[], o: LocalCopyOptions): Promise<LocalCopyResult> {
  const out: LocalCopyResult = { copied: [], rest: [], stats: { filesTransferred: 0, bytesSent: 0, bytesReceived: 0, transferredBytes: 0, deleted: 0 } };
  const setTimes = loadSetTimes();
  const dirs = new Map<string, boolean>();
  for (const p of paths) {
    if (!setTimes || o.signal?.aborted) {
      out.rest.push(p);
      continue;
    }
    const size = await copyOne(p, o, setTimes, dirs).catch(() => undefined);
    if (size === undefined) out.rest.push(p);
    else {
      out.copied.push(p);
      out.stats.filesTransferred++;
      out.stats.bytesSent += size;
      out.stats.transferredBytes += size;
    }
  }
  return out;
}

/** The size copied, or undefined when rsync is to take the path. Throws on I/O errors (same). */
async function copyOne(p: RelPath, o: LocalCopyOptions, setTimes: SetTimes, dirs: Map<string, boolean>): Promise<number | undefined> {
  const src = joinBytes(o.sourceRoot, p);
  const before = await fsp.lstat(src, { bigint: true });
  if (!before.isFile() || before.size > BigInt(o.maxBytes)) return undefined;
  const dest = joinBytes(o.replicaRoot, p);
  const dir = parentBytes(dest);
  if (!dir || !(await plainDirectories(o.replicaRoot, p, dirs))) return undefined;
  const existing = await fsp.lstat(dest).catch(() => undefined);
  if (existing?.isDirectory()) return undefined;
  const data = await fsp.readFile(src);
  const after = await fsp.lstat(src, { bigint: true });
  if (!sameFile(before, after) || BigInt(data.length) !== after.size || after.mtimeNs < 0n) return undefined;

  const base = dest.subarray(dir.length + 1);
  const tmp = Buffer.concat([dir, Buffer.from('/.'), base, Buffer.from(`.lm${randomBytes(4).toString('hex')}`)]);
  const fh = await fsp.open(tmp, 'wx', 0o600);
  let placed = false;
  try {
    await fh.writeFile(data);
    await fh.chmod(Number(after.mode) & 0o7777);
    await setOwner(fh, Number(after.uid), Number(after.gid));
    const r = setTimes(fh.fd, after.mtimeNs);
    if (r !== 0) throw new Error(`futimens failed (errno ${-r})`);
    await fh.close();
    await fsp.rename(tmp, dest);
    placed = true;
    return data.length;
  } finally {
    if (!placed) {
      await fh.close().catch(() => {});
      await fsp.unlink(tmp).catch(() => {});
    }
  }
}

function sameFile(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** Every directory from the replica root down to `p`'s parent exists and is no symlink (cached per run). */
async function plainDirectories(root: string, p: RelPath, seen: Map<string, boolean>): Promise<boolean> {
  const parts = p.split('/').slice(0, -1);
  let rel = '';
  for (const part of ['', ...parts]) {
    rel = rel === '' ? part : `${rel}/${part}`;
    let ok = seen.get(rel);
    if (ok === undefined) {
      ok = (await fsp.lstat(joinBytes(root, rel)).catch(() => undefined))?.isDirectory() ?? false;
      seen.set(rel, ok);
    }
    if (!ok) return false;
  }
  return true;
}

/** rsync -a: owner and group as root; otherwise the group only, where this user belongs to it. */
async function setOwner(fh: FileHandle, uid: number, gid: number): Promise<void> {
  if (process.getuid?.() === 0) await fh.chown(uid, gid);
  else if (process.getgroups?.().includes(gid)) await fh.chown(-1, gid).catch(() => {});
}

/** 0, or -errno (sys/libc.ts `checked`). */
type SetTimes = (fd: number, mtimeNs: bigint) => number;
let setTimesFn: SetTimes | null | undefined;

/** futimens(fd, {atime: now, mtime}) from libc; null where libc cannot be loaded (then rsync copies). */
function loadSetTimes(): SetTimes | undefined {
  if (setTimesFn === undefined) {
    try {
      const futimens = loadLibc('libc.so.6').func('int futimens(int fd, const void *times)');
      const le = endianness() === 'LE';
      setTimesFn = (fd, mtimeNs) => {
        // struct timespec[2] = {atime, mtime}, each {int64 tv_sec; int64 tv_nsec} (64-bit Linux).
        const t = Buffer.alloc(32);
        const w = (v: bigint, at: number) => (le ? t.writeBigInt64LE(v, at) : t.writeBigInt64BE(v, at));
        w(0n, 0);
        w(UTIME_NOW, 8);
        w(mtimeNs / 1_000_000_000n, 16);
        w(mtimeNs % 1_000_000_000n, 24);
        return checked(futimens(fd, t));
      };
    } catch {
      setTimesFn = null;
    }
  }
  return setTimesFn ?? undefined;
}

/** linux/stat.h: tv_nsec value that sets the time to now. */
const UTIME_NOW = (1n << 30n) - 1n;
