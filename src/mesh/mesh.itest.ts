/**
 * A four-node mesh on one host: four trees, one daemon each (in this process), every daemon
 * pushing to the three other trees as local replicas — the easiest multi-master setup to run and
 * one users have. Real inotify, real rsync, real LMDB. Every wait is a deadline.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync, chmodSync, renameSync, utimesSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon } from '../../test/support/daemon.js';
import { TestSshd } from '../../test/support/sshd.js';
import { diffTrees, digestTree, waitFor } from '../../test/support/tree.js';
import type { Daemon } from '../daemon.js';

const NAMES = ['n1', 'n2', 'n3', 'n4'] as const;
type Name = (typeof NAMES)[number];

interface Cluster {
  dir: string;
  tree: (n: Name) => string;
  daemons: Map<Name, Daemon>;
  start: (n: Name, extra?: Record<string, unknown>) => Promise<Daemon>;
  stop: (n: Name) => Promise<void>;
  /** The trees without their .livemirror/ directories. */
  digest: (n: Name) => Map<string, string>;
  converged: (deadlineMs?: number) => Promise<void>;
  quiet: () => Promise<void>;
  cleanup: () => Promise<void>;
}

function cluster(prefix: string): Cluster {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const tree = (n: Name) => path.join(dir, n);
  for (const n of NAMES) mkdirSync(tree(n));
  const daemons = new Map<Name, Daemon>();
  const digest = (n: Name) => {
    const d = digestTree(tree(n));
    for (const k of [...d.keys()]) if (k === '.livemirror' || k.startsWith('.livemirror/')) d.delete(k);
    return d;
  };
  const c: Cluster = {
    dir,
    tree,
    daemons,
    async start(n, extra = {}) {
      const logDir = path.join(dir, `${n}-run`);
      mkdirSync(logDir, { recursive: true });
      const { daemon } = await startDaemon(
        { source: tree(n), replicas: NAMES.filter((o) => o !== n).map((o) => ({ target: tree(o), name: o })), mesh: true, nodeName: n, ...extra },
        logDir,
      );
      daemons.set(n, daemon);
      return daemon;
    },
    async stop(n) {
      await daemons.get(n)?.stop();
      daemons.delete(n);
    },
    digest,
    async converged(deadlineMs = 20_000) {
      let last: string[] = [];
      const ok = await waitFor(
        () => {
          const want = digest('n1');
          last = NAMES.slice(1).flatMap((n) => diffTrees(want, digest(n), 5).map((d) => `${n}: ${d}`));
          return last.length === 0;
        },
        'four trees identical',
        deadlineMs,
        50,
      ).then(
        () => true,
        () => false,
      );
      if (!ok) throw new Error(`not converged after ${deadlineMs} ms:\n${last.join('\n')}\n${logs()}`);
    },
    async quiet() {
      for (let i = 0; i < 3; i++) {
        await Promise.all([...daemons.values()].map((d) => d.whenIdle()));
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async cleanup() {
      for (const n of [...daemons.keys()]) await c.stop(n);
      if (!process.env.LM_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
  const logs = () =>
    NAMES.map((n) => {
      try {
        return `--- ${n} ---\n${readFileSync(path.join(dir, `${n}-run`, 'daemon.log'), 'utf8').split('\n').slice(-15).join('\n')}`;
      } catch {
        return '';
      }
    }).join('\n');
  return c;
}

const read = (c: Cluster, n: Name, p: string) => readFileSync(path.join(c.tree(n), p), 'utf8');
const files = (c: Cluster, n: Name, dir = '') => readdirSync(path.join(c.tree(n), dir)).filter((f) => f !== '.livemirror').sort();
const batchesSent = (d: Daemon) => d.status().replicas.reduce((a, r) => a + r.batches, 0);

describe('mesh: four trees on one host', () => {
  let c: Cluster;
  beforeAll(async () => {
    c = cluster('lm-mesh-');
    writeFileSync(path.join(c.tree('n1'), 'seed.txt'), 'on n1 before the start\n');
    writeFileSync(path.join(c.tree('n3'), 'other-seed.txt'), 'on n3 before the start\n');
    await Promise.all(NAMES.map((n) => c.start(n)));
    await c.converged();
    await c.quiet();
  });
  afterAll(() => c.cleanup());

  it('every kind of change made on one node reaches the three others, and nothing echoes', async () => {
    const before = new Map(NAMES.map((n) => [n, batchesSent(c.daemons.get(n) as Daemon)]));
    const n2 = c.tree('n2');
    mkdirSync(path.join(n2, 'a/b/c'), { recursive: true });
    writeFileSync(path.join(n2, 'a/b/c/deep.txt'), 'deep\n');
    writeFileSync(path.join(n2, 'plain.txt'), 'plain\n');
    symlinkSync('plain.txt', path.join(n2, 'link'));
    writeFileSync(Buffer.from(`${n2}/\xff name;$(id)`, 'latin1'), 'hostile\n');
    await c.converged();
    writeFileSync(path.join(n2, 'plain.txt'), 'rewritten, longer\n');
    chmodSync(path.join(n2, 'a/b/c/deep.txt'), 0o600);
    renameSync(path.join(n2, 'a/b'), path.join(n2, 'a/moved'));
    unlinkSync(path.join(n2, 'link'));
    await c.converged();
    await c.quiet();
    expect(read(c, 'n4', 'plain.txt')).toBe('rewritten, longer\n');
    expect(files(c, 'n3', 'a')).toEqual(['moved']);
    // Only n2 sent anything: the others applied what it sent and passed nothing on.
    for (const n of ['n1', 'n3', 'n4'] as const) expect(batchesSent(c.daemons.get(n) as Daemon) - (before.get(n) ?? 0)).toBe(0);
    for (const n of NAMES) expect(c.daemons.get(n)?.status().mesh).toMatchObject({ bounces: 0, conflicts: 0, refused: 0 });
  });

  it('concurrent edits of one file on two and on four nodes: one winner everywhere, every loser kept as a conflict copy', async () => {
    const at = (n: Name) => path.join(c.tree(n), 'shared.txt');
    const t = Math.floor(Date.now() / 1000);
    for (const [i, n] of (['n1', 'n3'] as const).entries()) {
      writeFileSync(at(n), `two-way edit by ${n}\n`);
      utimesSync(at(n), t + i, t + i); // n3's is newer
    }
    await c.converged();
    expect(read(c, 'n2', 'shared.txt')).toBe('two-way edit by n3\n');
    const copies2 = files(c, 'n4').filter((f) => f.startsWith('shared.sync-conflict-'));
    expect(copies2).toEqual([expect.stringMatching(/^shared\.sync-conflict-\d{8}-\d{6}-n1\.txt$/)]);
    expect(read(c, 'n4', copies2[0] as string)).toBe('two-way edit by n1\n');

    const at4 = (n: Name) => path.join(c.tree(n), 'four.txt');
    for (const [i, n] of NAMES.entries()) {
      writeFileSync(at4(n), `four-way edit by ${n}\n`);
      utimesSync(at4(n), t + 10 + i, t + 10 + i); // n4's is newest
    }
    await c.converged();
    await c.quiet();
    await c.converged();
    expect(read(c, 'n1', 'four.txt')).toBe('four-way edit by n4\n');
    const copies4 = files(c, 'n2').filter((f) => f.startsWith('four.sync-conflict-'));
    expect(copies4.map((f) => read(c, 'n2', f)).sort()).toEqual(['four-way edit by n1\n', 'four-way edit by n2\n', 'four-way edit by n3\n']);
    // Losers' merged versions and the conflict copies travel; nobody passes on what it received.
    for (const n of NAMES) expect(c.daemons.get(n)?.status().mesh?.bounces).toBe(0);
  });

  it('an edit racing a delete keeps the edit; a deleted file stays deleted', async () => {
    writeFileSync(path.join(c.tree('n1'), 'contested.txt'), 'original\n');
    writeFileSync(path.join(c.tree('n1'), 'doomed.txt'), 'to be deleted\n');
    await c.converged();
    await c.quiet();
    unlinkSync(path.join(c.tree('n2'), 'contested.txt'));
    writeFileSync(path.join(c.tree('n4'), 'contested.txt'), 'edited while n2 deleted it\n');
    unlinkSync(path.join(c.tree('n3'), 'doomed.txt'));
    await c.converged();
    await c.quiet();
    await c.converged();
    for (const n of NAMES) {
      expect(read(c, n, 'contested.txt')).toBe('edited while n2 deleted it\n');
      expect(files(c, n)).not.toContain('doomed.txt');
    }
  });

  it('a node stopped while the others change things catches up at restart: new files arrive, deleted ones go, its own offline edits go out', async () => {
    writeFileSync(path.join(c.tree('n1'), 'will-go.txt'), 'x\n');
    await c.converged();
    await c.quiet();
    await c.stop('n4');
    writeFileSync(path.join(c.tree('n1'), 'while-n4-down.txt'), 'made on n1\n');
    unlinkSync(path.join(c.tree('n2'), 'will-go.txt'));
    writeFileSync(path.join(c.tree('n4'), 'n4-offline.txt'), 'made on n4 while its daemon was down\n');
    writeFileSync(path.join(c.tree('n4'), 'plain.txt'), 'n4 edited this while down\n');
    await c.start('n4');
    await c.converged(30_000);
    await c.quiet();
    await c.converged();
    for (const n of NAMES) {
      expect(files(c, n)).toEqual(expect.arrayContaining(['while-n4-down.txt', 'n4-offline.txt']));
      expect(files(c, n)).not.toContain('will-go.txt');
      expect(read(c, n, 'plain.txt')).toBe('n4 edited this while down\n');
    }
  });
});

describe('mesh: safety valve and names', () => {
  let c: Cluster;
  beforeAll(() => {
    c = cluster('lm-mesh-valve-');
  });
  afterAll(() => c.cleanup());

  it('a run that would delete most of the tree halts the peers instead of wiping them; release lets it go', async () => {
    for (let i = 0; i < 120; i++) writeFileSync(path.join(c.tree('n1'), `f${i}`), `file ${i}\n`);
    await Promise.all(NAMES.map((n) => c.start(n)));
    await c.converged();
    await c.quiet();
    const n1 = c.daemons.get('n1') as Daemon;
    for (let i = 0; i < 100; i++) unlinkSync(path.join(c.tree('n1'), `f${i}`));
    await waitFor(() => n1.status().replicas.every((r) => r.state === 'halted'), 'n1 halts its peers', 15_000);
    const r = n1.status().replicas[0];
    expect(r?.lastError?.message).toMatch(/safety valve: 100 of 120 paths \(83%.*deleted here within 60 s.*livemirror release n\d/);
    expect(files(c, 'n2')).toHaveLength(120);
    expect(n1.release()).toEqual(['n2', 'n3', 'n4']);
    await c.converged();
    expect(files(c, 'n3')).toHaveLength(20);
  });

  it('a peer that claims this node\'s name is refused, and said so', async () => {
    await c.stop('n4');
    rmSync(path.join(c.tree('n4'), '.livemirror'), { recursive: true, force: true });
    const impostor = await c.start('n4', { nodeName: 'n1' });
    await waitFor(() => impostor.status().replicas.find((r) => r.name === 'n1')?.state === 'halted', 'the impostor halts its replica to n1', 15_000);
    expect(impostor.status().replicas.find((r) => r.name === 'n1')?.lastError?.message).toMatch(/calls itself "n1", like this node: every node needs its own name/);
    // The real n1 sees a peer with its own name at its next push to it, and n2 two peers with one name.
    const n1 = c.daemons.get('n1') as Daemon;
    writeFileSync(path.join(c.tree('n1'), 'from-n1.txt'), 'x\n');
    await waitFor(() => n1.status().replicas.find((r) => r.name === 'n4')?.state === 'halted', 'n1 halts its replica to the impostor', 15_000);
    expect(n1.status().replicas.find((r) => r.name === 'n4')?.lastError?.message).toMatch(/calls itself "n1", like this node/);
    await waitFor(() => files(c, 'n2').includes('from-n1.txt'), 'n1 still reaches n2', 15_000);
    expect(files(c, 'n4')).not.toContain('from-n1.txt');
    writeFileSync(path.join(c.tree('n4'), 'from-impostor.txt'), 'x\n');
    const n2 = c.daemons.get('n2') as Daemon;
    await waitFor(() => (n2.status().mesh?.refused ?? 0) > 0, "n2 refuses the impostor's manifest", 15_000);
    expect(n2.status().mesh?.lastProblem).toMatch(/two peers call themselves "n1"/);
    expect(files(c, 'n2')).not.toContain('from-impostor.txt');
  });
});

describe('mesh: two nodes over ssh (a test sshd on loopback)', () => {
  let dir: string;
  let sshd: TestSshd;
  const daemons: Daemon[] = [];
  const tree = (n: string) => path.join(dir, n);
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'lm-mesh-ssh-'));
    sshd = await TestSshd.start(dir);
    for (const n of ['a', 'b']) mkdirSync(tree(n));
    writeFileSync(path.join(tree('a'), 'before.txt'), 'on a before the start\n');
    for (const [n, peer] of [['a', 'b'], ['b', 'a']] as const) {
      const logDir = path.join(dir, `${n}-run`);
      mkdirSync(logDir);
      const replica = { target: `root@127.0.0.1:${tree(peer)}`, name: peer, sshPort: sshd.port, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile };
      daemons.push((await startDaemon({ source: tree(n), replicas: [replica], mesh: true, nodeName: n }, logDir)).daemon);
    }
  });
  afterAll(async () => {
    for (const d of daemons) await d.stop();
    await sshd?.stop();
    if (dir && !process.env.LM_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  const same = () => {
    const strip = (d: Map<string, string>) => new Map([...d].filter(([k]) => k !== '.livemirror' && !k.startsWith('.livemirror/')));
    return diffTrees(strip(digestTree(tree('a'))), strip(digestTree(tree('b'))), 5);
  };
  const converged = () => waitFor(() => same().length === 0, 'a and b identical', 20_000, 50).catch(() => expect(same()).toEqual([]));

  it('staged data, manifests and the identity check all travel over ssh: both ways, no echo, a delete stays deleted', async () => {
    const [a, b] = daemons as [Daemon, Daemon];
    await converged();
    expect(readFileSync(path.join(tree('b'), 'before.txt'), 'utf8')).toBe('on a before the start\n');
    const bBefore = batchesSent(b);
    mkdirSync(path.join(tree('a'), 'dir'));
    writeFileSync(path.join(tree('a'), 'dir/from-a.txt'), 'from a\n');
    await converged();
    await Promise.all(daemons.map((d) => d.whenIdle()));
    expect(batchesSent(b) - bBefore).toBe(0);
    const aBefore = batchesSent(a);
    writeFileSync(path.join(tree('b'), 'from-b.txt'), 'from b\n');
    unlinkSync(path.join(tree('b'), 'before.txt'));
    await converged();
    await Promise.all(daemons.map((d) => d.whenIdle()));
    expect(batchesSent(a) - aBefore).toBe(0);
    expect(readdirSync(tree('a')).sort()).toEqual(['.livemirror', 'dir', 'from-b.txt']);
    for (const d of daemons) expect(d.status().mesh).toMatchObject({ bounces: 0, conflicts: 0, refused: 0 });
  });
});
