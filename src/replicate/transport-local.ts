import { promises as fsp } from 'node:fs';
import type { Move } from '../core/change.js';
import { errorText } from '../core/errors.js';
import { joinBytes, parentBytes } from '../core/path.js';
import type { RenameOutcome, Renamer } from './transport.js';

/** The file system calls a local renamer makes (real ones by default; tests may fake them). */
export interface LocalFs {
  lstat: (p: Buffer) => Promise<{ isDirectory(): boolean }>;
  mkdir: (p: Buffer, opts: { recursive: true }) => Promise<unknown>;
  rename: (from: Buffer, to: Buffer) => Promise<void>;
}

const realFs: LocalFs = {
  lstat: (p) => fsp.lstat(p),
  mkdir: (p, opts) => fsp.mkdir(p, opts),
  rename: (from, to) => fsp.rename(from, to),
};

/**
 * Renames on a local replica with rename(2) on the raw path bytes (see Renamer for the contract).
 * A destination of the same type is replaced, as the rename on the source did; one of another
 * type is left alone (rename(2) itself refuses a file onto a directory; the reverse is checked).
 */
export function localRenamer(replicaRoot: string, fs: LocalFs = realFs): Renamer {
  return {
    async rename(move: Move): Promise<RenameOutcome> {
      const from = joinBytes(replicaRoot, move.from);
      const to = joinBytes(replicaRoot, move.to);
      try {
        const src = await fs.lstat(from);
        if (src.isDirectory() !== move.isDir) return { ok: false, error: `the replica has a ${src.isDirectory() ? 'directory' : 'file'} at the old path` };
        const dst = await fs.lstat(to).catch(() => undefined);
        if (dst && dst.isDirectory() !== src.isDirectory()) return { ok: false, error: `the replica has a ${dst.isDirectory() ? 'directory' : 'file'} at the new path` };
        const parent = parentBytes(to);
        if (parent) await fs.mkdir(parent, { recursive: true });
        await fs.rename(from, to);
        return { ok: true };
      } catch (e) {
        return { ok: false, error: errorText(e) };
      }
    },
    async close() {},
  };
}
