import { lstat, lstatSync, readdirSync, type BigIntStats } from 'node:fs';
import { displayPath, joinBytes, joinRel, type RelPath } from '../core/path.js';
import type { PollEntry, Snapshot } from './poll-diff.js';
import { WatchError } from './source.js';

/** The file system calls of a scan; a parameter so tests can inject failures. */
export interface ScanFs {
  /** The names in a directory, as bytes. */
  readdirSync(path: Buffer): Buffer[];
  /** lstat with ns times; undefined when the path does not exist (any more). */
  lstatSync(path: Buffer): BigIntStats | undefined;
  /** The same through the worker pool: the scan's way of giving the event loop a turn. */
  lstat(path: Buffer): Promise<BigIntStats | undefined>;
}

export const defaultScanFs: ScanFs = {
  readdirSync: (path) => readdirSync(path, { encoding: 'buffer' }),
  lstatSync: (path) => lstatSync(path, { bigint: true, throwIfNoEntry: false }),
  lstat: (path) =>
    new Promise((resolve, reject) =>
      lstat(path, { bigint: true }, (err, st) => {
        if (!err) resolve(st);
        else if (err.code === 'ENOENT' || err.code === 'ENOTDIR') resolve(undefined);
        else reject(err);
      }),
    ),
};

export interface ScanOptions {
  /** Absolute path of the tree (UTF-8 text). */
  root: string;
  isExcluded: (path: RelPath, isDir: boolean) => boolean;
  /** Entries lstat'ed per turn of the event loop (then one lstat goes through the worker pool). */
  sliceEntries: number;
  fs?: ScanFs;
  /** Checked at every turn; when it returns an error, the scan rejects with it. */
  abort?(): Error | undefined;
}

export interface ScanResult {
  snapshot: Snapshot;
  /** Directories in the snapshot, the root included. */
  dirs: number;
}

const SLASH = Buffer.from('/');

/**
 * One pass over the tree: lstat of every entry (never following symlinks), excluded entries
 * skipped and not descended into, depth first, synchronous calls in slices of `sliceEntries`
 * so the event loop gets a turn every few ms. An entry or directory that vanishes while it is
 * listed is simply absent. Rejects with a WatchError `ROOT_GONE` when the root is not a
 * directory any more, and with the first other fs error (EACCES, EIO, ...), whose message names
 * the path.
 */
export async function scanTree(o: ScanOptions): Promise<ScanResult> {
  const fs = o.fs ?? defaultScanFs;
  const slice = Math.max(1, o.sliceEntries);
  const snapshot: Snapshot = new Map();
  const rootBytes = joinBytes(o.root, '');
  const rootSt = await fs.lstat(rootBytes).catch((e: unknown) => rethrow(e, o.root));
  if (!rootSt || !rootSt.isDirectory()) throw rootGone(o.root);
  snapshot.set('', entryOf(rootSt));
  let dirs = 1;
  let n = 0;
  const stack: Array<[RelPath, Buffer]> = [['', rootBytes]];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [rel, abs] = top;
    let names: Buffer[];
    try {
      names = fs.readdirSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw rethrow(e, `${o.root}/${displayPath(rel)}`);
      if (rel === '') throw rootGone(o.root);
      continue; // vanished while we walked: the next pass reports it gone
    }
    for (const name of names) {
      const childRel = joinRel(rel, name.toString('latin1'));
      const childAbs = Buffer.concat([abs, SLASH, name]);
      let st: BigIntStats | undefined;
      try {
        if (++n % slice === 0) {
          const aborted = o.abort?.();
          if (aborted) throw aborted;
          st = await fs.lstat(childAbs);
        } else {
          st = fs.lstatSync(childAbs);
        }
      } catch (e) {
        if (e instanceof WatchError) throw e;
        throw rethrow(e, `${o.root}/${displayPath(childRel)}`);
      }
      if (!st) continue;
      const isDir = st.isDirectory();
      if (o.isExcluded(childRel, isDir)) continue;
      snapshot.set(childRel, entryOf(st));
      if (isDir) {
        dirs++;
        stack.push([childRel, childAbs]);
      }
    }
  }
  return { snapshot, dirs };
}

function entryOf(st: BigIntStats): PollEntry {
  return {
    dev: Number(st.dev),
    ino: st.ino,
    mode: Number(st.mode),
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: Number(st.size),
    mtimeNs: st.mtimeNs,
    ctimeNs: st.ctimeNs,
    btimeNs: st.birthtimeNs,
  };
}

export function rootGone(root: string): WatchError {
  return new WatchError(
    `the watched root ${root} was deleted, moved away or replaced; nothing below it can be watched any more. ` +
      `Restore it and restart livemirror (it will resync).`,
    'ROOT_GONE',
  );
}

function rethrow(e: unknown, where: string): never {
  if (e instanceof WatchError) throw e;
  const code = (e as NodeJS.ErrnoException).code;
  throw new WatchError(`cannot scan ${where}: ${code ?? (e as Error).message}`, code);
}
