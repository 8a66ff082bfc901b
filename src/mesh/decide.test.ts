import { describe, expect, it } from 'vitest';
import { decide, type IncomingVersion } from './decide.js';
import { conflictName, isConflictCopy, sameState, winnerOf, type PathRecord, type PathState } from './record.js';

const file = (mtimeS: number, size = 10, mode = 0o644): PathState => ({ type: 'file', size, mtimeNs: `${mtimeS}000000000`, mode });
const dir = (mode = 0o755): PathState => ({ type: 'dir', mode });
const rec = (state: PathState | undefined, vv: Record<string, number>, origin = 'n1'): PathRecord => ({ state, vv, origin, at: 0 });
const inc = (state: PathState | undefined, vv: Record<string, number>, origin = 'n2'): IncomingVersion => ({ state, vv, origin });

describe('decide: one path, a peer\'s version against this node\'s', () => {
  it.each([
    ['never seen: take it', undefined, inc(file(1), { n2: 1 }), { kind: 'take' }],
    ['never seen, deleted there: take (records the tombstone)', undefined, inc(undefined, { n2: 1 }), { kind: 'take' }],
    ['the same version (an echo): ignore', rec(file(1), { n1: 1 }), inc(file(1), { n1: 1 }), { kind: 'ignore', why: 'same' }],
    ['an older version (a late batch): ignore', rec(file(2), { n1: 2 }), inc(file(1), { n1: 1 }), { kind: 'ignore', why: 'older' }],
    ['a newer version: take', rec(file(1), { n1: 1 }), inc(file(2), { n1: 1, n2: 1 }), { kind: 'take' }],
    ['a delete after my version: take', rec(file(1), { n1: 1 }), inc(undefined, { n1: 1, n2: 1 }), { kind: 'take' }],
    ['an echo of a deleted file never resurrects it', rec(undefined, { n1: 2 }), inc(file(1), { n1: 1 }), { kind: 'ignore', why: 'older' }],
    ['a file written after the delete comes back', rec(undefined, { n1: 2 }), inc(file(5), { n1: 2, n2: 1 }), { kind: 'take' }],
    ['their delete vs my concurrent edit: my edit stays', rec(file(3), { n1: 2 }), inc(undefined, { n1: 1, n2: 1 }), { kind: 'keep' }],
    ['my delete vs their concurrent edit: their edit comes back', rec(undefined, { n1: 2 }), inc(file(3), { n1: 1, n2: 1 }), { kind: 'take' }],
    ['their delete vs my concurrent version of a directory: the delete goes through', rec(dir(), { n1: 1, n3: 1 }), inc(undefined, { n1: 2 }), { kind: 'take' }],
    ['my delete vs their concurrent version of a directory: the delete stays', rec(undefined, { n1: 2 }), inc(dir(), { n1: 1, n3: 1 }), { kind: 'keep' }],
    ['both deleted: merge', rec(undefined, { n1: 2 }), inc(undefined, { n1: 1, n2: 1 }), { kind: 'merge', adopt: 'local' }],
    ['both made the same content: merge, newer attributes win', rec(file(3, 10, 0o600), { n1: 1 }), inc(file(3, 10, 0o644), { n2: 1 }), { kind: 'merge', adopt: 'incoming' }],
  ] as const)('%s', (_n, local, incoming, want) => expect(decide('p', local, incoming)).toEqual(want));

  it('concurrent edits: the newer mtime stays, the older becomes a conflict copy named after its node', () => {
    const mine = rec(file(1_700_000_100), { n1: 2 }, 'n1');
    const theirs = inc(file(1_700_000_000, 20), { n1: 1, n2: 1 }, 'n2');
    expect(decide('dir/report.txt', mine, theirs)).toEqual({ kind: 'conflict', keep: 'local', copy: 'dir/report.sync-conflict-20231114-221320-n2.txt' });
    // The other node, seeing the same two versions the other way round, picks the same.
    expect(decide('dir/report.txt', rec(theirs.state, theirs.vv, 'n2'), inc(mine.state, mine.vv, 'n1'))).toEqual({
      kind: 'conflict',
      keep: 'incoming',
      copy: 'dir/report.sync-conflict-20231114-221320-n2.txt',
    });
  });

  it('equal mtimes: the greater node name wins, on both sides', () => {
    const a = { state: file(5, 1), origin: 'n1' };
    const b = { state: file(5, 2), origin: 'n2' };
    expect(winnerOf(a, b)).toBe('b');
    expect(winnerOf(b, a)).toBe('a');
  });

  it('concurrent versions of a directory with different modes: every node adopts the same mode', () => {
    // mesh-4way seed 08f5c3578bac: n3, restarting, applied a file of n4 before the manifest
    // that made its directories, made them itself (0755, {n3:1}), and sent them; n4's own
    // directory (0775, {n4:1}) met n3's on every node. Each node kept its own mode under the
    // same merged vector {n3:1,n4:1}: n3 0755, the others 0775, for ever.
    type Side = { state: PathState; vv: Record<string, number>; origin: string };
    const n3: Side = { state: dir(0o755), vv: { n3: 1 }, origin: 'n3' };
    const n4: Side = { state: dir(0o775), vv: { n4: 1 }, origin: 'n4' };
    const adopted = (local: Side, incoming: Side): PathState => {
      const d = decide('n4/d', rec(local.state, local.vv, local.origin), inc(incoming.state, incoming.vv, incoming.origin));
      if (d.kind !== 'merge') throw new Error(`not a merge: ${JSON.stringify(d)}`);
      return d.adopt === 'local' ? local.state : incoming.state;
    };
    expect(adopted(n3, n4)).toEqual(dir(0o775));
    expect(adopted(n4, n3)).toEqual(dir(0o775));
    // The rule does not depend on which node is the greater: the same answer on both sides.
    expect(winnerOf({ state: dir(0o700), origin: 'n1' }, { state: dir(0o755), origin: 'n2' })).toBe('b');
    expect(winnerOf({ state: dir(0o755), origin: 'n2' }, { state: dir(0o700), origin: 'n1' })).toBe('a');
  });

  it('the winner depends on the pair, not on which side is local (also for one origin on both)', () => {
    const vs = [
      { state: dir(0o755), origin: 'n3' },
      { state: dir(0o775), origin: 'n4' },
      { state: dir(0o700), origin: 'n4' }, // a merged record names the other's maker: one origin, two modes
      { state: file(5, 1), origin: 'n1' },
      { state: file(5, 1, 0o600), origin: 'n1' },
      { state: file(5, 2), origin: 'n1' },
      { state: file(6, 1), origin: 'n1' },
      { state: { type: 'symlink', target: 'x' } as const, origin: 'n2' },
      { state: { type: 'symlink', target: 'y' } as const, origin: 'n2' },
    ];
    for (const a of vs)
      for (const b of vs) {
        if (a === b) continue;
        const ab = winnerOf(a, b);
        const ba = winnerOf(b, a);
        expect({ a, b, winner: ab === 'a' ? a : b }).toEqual({ a, b, winner: ba === 'b' ? a : b });
      }
  });

  it('a directory wins over a file made at the same path', () => {
    expect(winnerOf({ state: file(99), origin: 'z' }, { state: { type: 'dir', mode: 0o755 }, origin: 'a' })).toBe('b');
  });
});

describe('conflict names', () => {
  const v = (origin: string) => ({ state: file(0), origin });
  it.each([
    ['a.txt', 'a.sync-conflict-19700101-000000-n1.txt'],
    ['d/e/archive.tar.gz', 'd/e/archive.tar.sync-conflict-19700101-000000-n1.gz'],
    ['.bashrc', '.bashrc.sync-conflict-19700101-000000-n1'],
    ['noext', 'noext.sync-conflict-19700101-000000-n1'],
    ['d.x/noext', 'd.x/noext.sync-conflict-19700101-000000-n1'],
  ])('%s → %s', (p, want) => {
    expect(conflictName(p, v('n1'))).toBe(want);
    expect(isConflictCopy(want)).toBe(true);
    expect(isConflictCopy(p)).toBe(false);
  });
});

describe('sameState', () => {
  it('compares what a change can alter, not a directory\'s mtime', () => {
    expect(sameState({ type: 'dir', mode: 0o755 }, { type: 'dir', mode: 0o755 })).toBe(true);
    expect(sameState(file(1), file(1))).toBe(true);
    expect(sameState(file(1), file(2))).toBe(false);
    expect(sameState(file(1, 10, 0o644), file(1, 10, 0o600))).toBe(false);
    expect(sameState({ type: 'symlink', target: 'a' }, { type: 'symlink', target: 'b' })).toBe(false);
    expect(sameState(undefined, undefined)).toBe(true);
    expect(sameState(file(1), undefined)).toBe(false);
  });
});
