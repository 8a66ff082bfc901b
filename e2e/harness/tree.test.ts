import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localNode } from './local-runner.js';
import { awaitConverged, compareTrees, ConvergenceError, digestTree } from './tree.js';

// remote/digest.mjs run locally (node -e, JSON on stdin) on two copies of a small tree.
let base: string;
let a: string;
let b: string;

beforeAll(() => {
  base = mkdtempSync(path.join(tmpdir(), 'digest-'));
  a = path.join(base, 'a');
  b = path.join(base, 'b');
  mkdirSync(path.join(a, 'dir/sub'), { recursive: true });
  writeFileSync(path.join(a, 'dir/sub/file.txt'), 'hello');
  writeFileSync(path.join(a, "it's a file"), 'x'.repeat(10_000));
  writeFileSync(Buffer.from(`${a}/bad-\xff-name`, 'latin1'), 'bytes');
  writeFileSync(path.join(a, 'new\nline'), '');
  symlinkSync('dir/sub/file.txt', path.join(a, 'link'));
  execFileSync('cp', ['-a', `${a}/.`, b]);
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('remote/digest.mjs', () => {
  it('gives equal hashes for identical copies and lists every entry', async () => {
    const da = await digestTree(localNode('a', a), { full: true });
    const db = await digestTree(localNode('b', b), { full: true });
    expect(da.hash).toBe(db.hash);
    expect(da.count).toBe(7);
    const paths = da.entries?.map((e) => e.p);
    expect(paths).toContain('bad-\\xff-name');
    expect(paths).toContain('new\\x0aline');
    expect(da.entries?.find((e) => e.p === 'link')).toMatchObject({ t: 'l', l: 'dir/sub/file.txt' });
    expect(da.entries?.find((e) => e.p === 'dir/sub/file.txt')).toMatchObject({ t: 'f', s: 5 });
  });

  it('reports a differing file by path, with what each side has', async () => {
    const name = Buffer.from(`${b}/bad-\xff-name`, 'latin1');
    const before = statSync(name);
    writeFileSync(name, 'BYTES');
    try {
      const divs = await compareTrees([localNode('a', a), localNode('b', b)]);
      expect(divs.map((d) => d.path)).toEqual(['bad-\\xff-name']);
      expect(divs[0]?.byNode['a']?.h).not.toBe(divs[0]?.byNode['b']?.h);
    } finally {
      writeFileSync(name, 'bytes');
      utimesSync(name, before.atime, before.mtime);
    }
    expect(await compareTrees([localNode('a', a), localNode('b', b)])).toEqual([]);
  });

  it('ignores directory mtimes unless asked', async () => {
    utimesSync(path.join(b, 'dir'), 1000, 1000);
    const nodes = [localNode('a', a), localNode('b', b)];
    expect(await compareTrees(nodes)).toEqual([]);
    const divs = await compareTrees(nodes, { mtime: 'all' });
    expect(divs.map((d) => d.path)).toEqual(['dir']);
  });

  it('skips excluded subtrees', async () => {
    writeFileSync(path.join(b, 'dir/sub/extra'), 'only in b');
    try {
      const nodes = [localNode('a', a), localNode('b', b)];
      expect((await compareTrees(nodes)).map((d) => d.path)).toEqual(['dir/sub/extra']);
      expect(await compareTrees(nodes, { exclude: [/^dir\/sub$/] })).toEqual([]);
      const c = await awaitConverged(nodes, { deadlineMs: 2000, exclude: [/^dir\/sub$/] });
      expect(c.polls).toBe(1);
    } finally {
      rmSync(path.join(b, 'dir/sub/extra'));
    }
  });

  it('times out with the divergent paths and each node’s explanation', async () => {
    writeFileSync(path.join(b, 'late'), 'only in b');
    try {
      const nodes = [localNode('a', a), localNode('b', b)];
      const err = await awaitConverged(nodes, { deadlineMs: 200, explain: async (n) => `log of ${n.name}` }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConvergenceError);
      const msg = (err as Error).message;
      expect(msg).toMatch(/late\n\s+a\s+missing\n\s+b\s+file 9 B/);
      expect(msg).toContain('--- b ---\nlog of b');
    } finally {
      rmSync(path.join(b, 'late'));
    }
  });
});
