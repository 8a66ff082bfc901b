import type { Dirent } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { walkDirs, type ReaddirFns } from './dir-walk.js';

/** A fake tree: path → subdirectory names (plus one file each, which the walk must skip). */
function fakeFs(tree: Record<string, string[]>, fail: Record<string, string> = {}) {
  const calls: { path: string; how: 'sync' | 'async' }[] = [];
  const list = (p: Buffer): Dirent<Buffer>[] => {
    const key = p.toString('latin1');
    const code = fail[key];
    if (code) throw Object.assign(new Error(`${code}: ${key}`), { code });
    const dirs = tree[key];
    if (!dirs) throw Object.assign(new Error(`ENOENT: ${key}`), { code: 'ENOENT' });
    const entry = (name: string, dir: boolean) => ({ name: Buffer.from(name, 'latin1'), isDirectory: () => dir }) as unknown as Dirent<Buffer>;
    return [...dirs.map((d) => entry(d, true)), entry('file.txt', false)];
  };
  const fns: ReaddirFns = {
    sync: (p) => {
      calls.push({ path: p.toString('latin1'), how: 'sync' });
      return list(p);
    },
    async: (p, cb) => {
      calls.push({ path: p.toString('latin1'), how: 'async' });
      setImmediate(() => {
        try {
          cb(null, list(p));
        } catch (e) {
          cb(e as NodeJS.ErrnoException, []);
        }
      });
    },
  };
  return { fns, calls };
}

const walkAll = (fns: ReaddirFns, sliceDirs: number, extra: { gone?: (p: string) => void; abort?: () => Error | undefined } = {}) => {
  const visited: string[] = [];
  const done = walkDirs<string>({
    roots: ['/r'],
    absPath: (p) => Buffer.from(p, 'latin1'),
    visit: (p, subdirs) => {
      visited.push(p);
      return subdirs.map((s) => `${p}/${s}`);
    },
    ...(extra.gone ? { gone: extra.gone } : {}),
    ...(extra.abort ? { abort: extra.abort } : {}),
    sliceDirs,
    readdir: fns,
  });
  return { visited, done };
};

const TREE = { '/r': ['a', 'b'], '/r/a': ['c'], '/r/a/c': [], '/r/b': ['d', 'e'], '/r/b/d': [], '/r/b/e': [] };

describe('walkDirs', () => {
  it('visits every directory once and never lists a file', async () => {
    const { fns, calls } = fakeFs(TREE);
    const { visited, done } = walkAll(fns, 256);
    await done;
    expect(visited.sort()).toEqual(Object.keys(TREE).sort());
    expect(calls.every((c) => c.how === 'sync')).toBe(true);
  });

  it('lists every (sliceDirs+1)-th directory through the worker pool, so the event loop gets a turn', async () => {
    const { fns, calls } = fakeFs(TREE);
    const { visited, done } = walkAll(fns, 2);
    // The first slice ran synchronously inside walkDirs; the third listing waits for the pool.
    expect(visited).toHaveLength(2);
    await done;
    expect(visited.sort()).toEqual(Object.keys(TREE).sort());
    expect(calls.map((c) => c.how)).toEqual(['sync', 'sync', 'async', 'sync', 'sync', 'async']);
  });

  it('reports a directory that vanished before its listing (ENOENT) as gone and goes on', async () => {
    const { fns } = fakeFs({ ...TREE, '/r/b': ['d', 'e', 'x'] });
    const gone: string[] = [];
    const { visited, done } = walkAll(fns, 1, { gone: (p) => gone.push(p) });
    await done;
    expect(gone).toEqual(['/r/b/x']);
    expect(visited).toHaveLength(6);
  });

  it('rejects with a listing error other than ENOENT/ENOTDIR, sync or async', async () => {
    for (const slice of [256, 1]) {
      const { fns } = fakeFs(TREE, { '/r/b/e': 'EACCES' });
      await expect(walkAll(fns, slice).done).rejects.toThrow('EACCES: /r/b/e');
    }
  });

  it('rejects with what visit throws and with abort()', async () => {
    const { fns } = fakeFs(TREE);
    const thrown = walkDirs<string>({ roots: ['/r'], absPath: (p) => Buffer.from(p), visit: () => { throw new Error('no'); }, sliceDirs: 4, readdir: fns });
    await expect(thrown).rejects.toThrow('no');
    let n = 0;
    await expect(walkAll(fakeFs(TREE).fns, 1, { abort: () => (++n > 3 ? new Error('closing') : undefined) }).done).rejects.toThrow('closing');
  });
});
