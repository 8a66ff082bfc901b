import { lstatSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ChurnPlanner, relative, type ChurnOp } from './churn-plan.js';
import { encodeOps, runChurn } from './churn.js';
import { localNode } from './local-runner.js';

const opts = { subtree: 'churn', maxFileBytes: 64 * 1024 };
const pathsOf = (o: ChurnOp): string[] => (o.op === 'rename' ? [o.from, o.to] : [o.path]);

describe('ChurnPlanner', () => {
  it('is deterministic for a seed, whatever the batch sizes', () => {
    const a = new ChurnPlanner('seed-1', opts);
    const b = new ChurnPlanner('seed-1', opts);
    const one = [...a.next(150), ...a.next(150)];
    const two = b.next(300);
    expect(JSON.stringify(one)).toBe(JSON.stringify(two));
    expect(one).toHaveLength(300);
  });

  it('differs between seeds', () => {
    const a = new ChurnPlanner('seed-1', opts).next(50);
    const b = new ChurnPlanner('seed-2', opts).next(50);
    expect(JSON.stringify(a)).not.toBe(JSON.stringify(b));
  });

  it('starts by creating the subtree and stays inside it', () => {
    const ops = new ChurnPlanner('confine', { ...opts, subtree: 'a/b' }).next(500);
    expect(ops[0]).toEqual({ op: 'mkdirp', path: 'a/b' });
    for (const o of ops.slice(1)) for (const p of pathsOf(o)) expect(p === 'a/b' || p.startsWith('a/b/')).toBe(true);
  });

  it('uses every kind of operation and hostile names', () => {
    const ops = new ChurnPlanner('kinds', { ...opts, weirdNames: 0.5 }).next(2000);
    const kinds = new Set(ops.map((o) => o.op));
    expect([...kinds].sort()).toEqual(['append', 'chmod', 'mkdirp', 'modify', 'rename', 'rmrf', 'symlink', 'truncate', 'unlink', 'write']);
    const names = ops.flatMap(pathsOf);
    expect(names.some((p) => p.includes('\n'))).toBe(true);
    expect(names.some((p) => p.includes('\xff'))).toBe(true);
    expect(names.some((p) => p.includes("'"))).toBe(true);
  });

  it('rejects a subtree outside the root', () => {
    expect(() => new ChurnPlanner('x', { subtree: '' })).toThrow();
    expect(() => new ChurnPlanner('x', { subtree: '../up' })).toThrow();
  });

  it('encodes paths as base64 of their bytes', () => {
    const [enc] = encodeOps([{ op: 'rename', from: 'a\xff', to: 'b' }]);
    expect(enc).toEqual({ op: 'rename', from: Buffer.from([0x61, 0xff]).toString('base64'), to: 'Yg==' });
  });
});

describe('relative', () => {
  it('reaches a target from a directory', () => {
    expect(relative('c/a', 'c/a/x')).toBe('x');
    expect(relative('c/a/b', 'c/x')).toBe('../../x');
    expect(relative('c', 'c')).toBe('.');
  });
});

describe('remote/churn.mjs against the model', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Type and size of every path below `root`/`sub`, keyed by byte-string relative path. */
  function walk(root: string, sub: string): Map<string, string> {
    const out = new Map<string, string>();
    const rootBuf = Buffer.from(root);
    const visit = (rel: Buffer): void => {
      const abs = Buffer.concat([rootBuf, Buffer.from('/'), rel]);
      const st = lstatSync(abs);
      const key = rel.toString('latin1');
      if (st.isSymbolicLink()) out.set(key, `link ${readlinkSync(abs, { encoding: 'buffer' }).length}`);
      else if (st.isFile()) out.set(key, `file ${st.size}`);
      else if (st.isDirectory()) {
        out.set(key, 'dir 0');
        for (const name of readdirSync(abs, { encoding: 'buffer' })) visit(Buffer.concat([rel, Buffer.from('/'), name]));
      }
    };
    visit(Buffer.from(sub));
    return out;
  }

  it('applies 1500 ops without a failure and ends where the model says', async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'churn-'));
    const plan = new ChurnPlanner('model-check', { ...opts, weirdNames: 0.3 });
    const node = localNode('local', dir);
    for (let round = 0; round < 3; round++) {
      const r = await runChurn(node, plan.next(500));
      expect(r.failed).toEqual([]);
    }
    const expected = new Map([...plan.expected()].map(([p, e]) => [p, `${e.type} ${e.size}`]));
    expect(walk(dir, 'churn')).toEqual(expected);
  }, 60_000);
});
