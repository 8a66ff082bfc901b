import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { awaitConverged, diffTrees, digestTree, waitFor } from './tree.js';

let base: string;
let a: string;
let b: string;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'tree-'));
  a = path.join(base, 'a');
  b = path.join(base, 'b');
  for (const d of [a, b]) {
    mkdirSync(path.join(d, 'sub'), { recursive: true });
    writeFileSync(path.join(d, 'sub/f.txt'), 'hello');
    writeFileSync(Buffer.from(`${d}/\xff\xfe not utf8`, 'latin1'), 'bytes');
    symlinkSync('sub/f.txt', path.join(d, 'link'));
  }
});

afterEach(() => {
  rmSync(base, { recursive: true, force: true });
});

describe('test/support/tree (the e2e digest, in-process)', () => {
  it('keys paths as byte strings, non-UTF-8 names included', () => {
    const d = digestTree(a);
    expect([...d.keys()].sort()).toEqual(['link', 'sub', 'sub/f.txt', '\xff\xfe not utf8']);
    expect(diffTrees(d, digestTree(b))).toEqual([]);
  });

  it('names each differing path with what each side has', () => {
    writeFileSync(path.join(b, 'sub/f.txt'), 'HELLO!');
    writeFileSync(path.join(b, 'extra'), '');
    const diff = diffTrees(digestTree(a), digestTree(b));
    expect(diff).toHaveLength(2);
    expect(diff[0]).toMatch(/^"sub\/f.txt": source file 5 B 0644 .* \/ replica file 6 B 0644 /);
    expect(diff[1]).toMatch(/^"extra": source missing \/ replica file 0 B/);
    expect(diffTrees(digestTree(a), digestTree(b), 1)).toHaveLength(1);
  });

  it('awaitConverged resolves at once for equal trees and names the divergence at its deadline', async () => {
    expect(await awaitConverged(a, [b], 2000)).toBeLessThan(2000);
    writeFileSync(path.join(b, 'late'), 'x');
    await expect(awaitConverged(a, [b], 200, 20)).rejects.toThrow(/not converged after 200 ms:[\s\S]*"late": source missing/);
  });

  it('waitFor polls until the condition holds, or says what it waited for', async () => {
    let n = 0;
    await waitFor(() => ++n >= 3, 'three polls', 2000, 1);
    expect(n).toBe(3);
    await expect(waitFor(() => false, 'nothing', 50, 10)).rejects.toThrow('timed out after 50 ms waiting for nothing');
  });
});
