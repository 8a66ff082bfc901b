import { describe, expect, it } from 'vitest';
import { WatchTree } from './watch-tree.js';

function sample(): WatchTree {
  const t = new WatchTree();
  const root = t.setRoot(1);
  const a = t.attach(root, 'a', 2)?.node;
  if (!a) throw new Error('attach failed');
  const b = t.attach(a, 'b', 3)?.node;
  if (!b) throw new Error('attach failed');
  t.attach(b, 'c', 4);
  t.attach(root, 'x', 5);
  return t;
}

describe('WatchTree', () => {
  it('indexes nodes by wd and by path', () => {
    const t = sample();
    expect(t.size).toBe(5);
    expect(t.find('a/b/c')?.wd).toBe(4);
    expect(t.byWd(3)?.path).toBe('a/b');
    expect(t.find('a/zz')).toBeUndefined();
    expect(t.paths().sort()).toEqual(['', 'a', 'a/b', 'a/b/c', 'x']);
  });

  it('reports an already-watched wd at the same path as not fresh', () => {
    const t = sample();
    const root = t.root;
    if (!root) throw new Error('no root');
    expect(t.attach(root, 'a', 2)).toMatchObject({ fresh: false, detached: [] });
    expect(t.size).toBe(5);
  });

  it('moves a subtree and rewrites every path below it', () => {
    const t = sample();
    const a = t.find('a');
    const x = t.find('x');
    if (!a || !x) throw new Error('missing');
    t.move(a, x, 'renamed');
    expect(t.paths().sort()).toEqual(['', 'x', 'x/renamed', 'x/renamed/b', 'x/renamed/b/c']);
    expect(t.byWd(4)?.path).toBe('x/renamed/b/c');
    expect(t.find('a')).toBeUndefined();
  });

  it('moving onto an existing directory detaches the one that was there', () => {
    const t = sample();
    const a = t.find('a');
    const root = t.root;
    if (!a || !root) throw new Error('missing');
    const { detached } = t.move(a, root, 'x');
    expect(detached.map((n) => n.wd)).toEqual([5]);
    expect(t.byWd(5)).toBeUndefined();
    expect(t.find('x/b/c')?.wd).toBe(4);
  });

  it('treats a known wd at a new path as a move (the inode moved) and reports incomplete nodes', () => {
    const t = sample();
    const c = t.find('a/b/c');
    const x = t.find('x');
    if (!c || !x) throw new Error('missing');
    c.incomplete = true;
    const res = t.attach(x, 'b2', 3);
    expect(res).toMatchObject({ fresh: false });
    expect(res?.incomplete.map((n) => n.path)).toEqual(['x/b2/c']);
    expect(t.find('a/b')).toBeUndefined();
  });

  it('replaces a node at a path when a different wd appears there', () => {
    const t = sample();
    const root = t.root;
    if (!root) throw new Error('no root');
    const res = t.attach(root, 'a', 42);
    expect(res?.fresh).toBe(true);
    expect(res?.detached.map((n) => n.wd).sort()).toEqual([2, 3, 4]);
    expect(t.size).toBe(3);
  });

  it('refuses to attach an ancestor below itself (bind-mount loop)', () => {
    const t = sample();
    const c = t.find('a/b/c');
    if (!c) throw new Error('missing');
    expect(t.attach(c, 'loop', 2)).toBeUndefined();
    expect(t.attach(c, 'root', 1)).toBeUndefined();
    expect(() => t.move(t.find('a') ?? c, c, 'z')).toThrow();
  });

  it('detaches a subtree from both indexes', () => {
    const t = sample();
    const a = t.find('a');
    if (!a) throw new Error('missing');
    expect(t.detach(a).map((n) => n.wd)).toEqual([2, 3, 4]);
    expect(t.size).toBe(2);
    expect(t.has(a)).toBe(false);
    expect(t.root?.children?.has('a')).toBe(false);
  });
});
