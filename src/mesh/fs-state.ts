import { promises as fsp } from 'node:fs';
import { joinBytes, joinRel, type RelPath } from '../core/path.js';
import type { PathState } from './record.js';

/** The state of `root/rel` on disk (without following a symlink), or undefined when it is gone. */
export async function readState(root: string, rel: RelPath): Promise<PathState | undefined> {
  const abs = joinBytes(root, rel);
  let st;
  try {
    st = await fsp.lstat(abs, { bigint: true });
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
  if (st.isDirectory()) return { type: 'dir', mode: Number(st.mode & 0o7777n) };
  if (st.isSymbolicLink()) {
    try {
      return { type: 'symlink', target: (await fsp.readlink(abs, { encoding: 'buffer' })).toString('latin1') };
    } catch (e) {
      if (isGone(e) || (e as NodeJS.ErrnoException).code === 'EINVAL') return readState(root, rel); // replaced meanwhile
      throw e;
    }
  }
  // Regular files, and anything else (fifos, sockets) as rsync would see them: a file.
  return { type: 'file', size: Number(st.size), mtimeNs: st.mtimeNs.toString(), mode: Number(st.mode & 0o7777n) };
}

export function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Every entry below `root/dir` (not `dir` itself), depth first, parents before children, never
 * following symlinks; `skip(rel, isDir)` prunes. Entries that vanish while listed are left out.
 * Bounded by the tree (no cycles: symlinks are not followed).
 */
export async function* walkStates(root: string, dir: RelPath, skip: (p: RelPath, isDir: boolean) => boolean): AsyncGenerator<[RelPath, PathState]> {
  const stack: RelPath[] = [dir];
  while (stack.length > 0) {
    const d = stack.pop() as RelPath;
    let names: Buffer[];
    try {
      names = await fsp.readdir(joinBytes(root, d), { encoding: 'buffer' });
    } catch (e) {
      if (isGone(e)) continue;
      throw e;
    }
    const subdirs: RelPath[] = [];
    for (const name of names) {
      const rel = joinRel(d, name.toString('latin1'));
      const state = await readState(root, rel);
      if (!state || skip(rel, state.type === 'dir')) continue;
      yield [rel, state];
      if (state.type === 'dir') subdirs.push(rel);
    }
    for (let i = subdirs.length - 1; i >= 0; i--) stack.push(subdirs[i] as RelPath);
  }
}
