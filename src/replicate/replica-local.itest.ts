import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../core/change.js';
import { digestTree, diffTrees } from '../../test/support/tree.js';
import { probeReplica } from './probe.js';
import { Replica } from './replica.js';
import { abs, write, tree, del, testTunables } from '../../test/support/changes.js';
import type { BatchReport } from './types.js';
import type { ReplicaSpec } from '../core/replica-spec.js';

const tunables = testTunables({ backoffMaxMs: 500, ioTimeoutS: 30 });

let dir: string;
let src: string;
let dst: string;
let replica: Replica;
const reports: BatchReport[] = [];
const PWNED = '/tmp/pwned';
const pwnedBefore = existsSync(PWNED);


async function sync(changes: Change[]): Promise<void> {
  replica.enqueue(changes);
  await replica.whenIdle();
  expect(replica.status()).toMatchObject({ state: 'idle', queued: 0, inFlight: 0 });
  expect(diffTrees(digestTree(src), digestTree(dst))).toEqual([]);
}

const lastBatch = () => reports.filter((r) => r.kind === 'batch').at(-1) as Extract<BatchReport, { kind: 'batch' }>;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lm-replica-local-'));
  src = path.join(dir, 'src');
  dst = path.join(dir, 'dst');
  mkdirSync(src);
  mkdirSync(dst);
  const spec: ReplicaSpec = { name: 'local', target: { kind: 'local', path: dst }, targetText: dst, rsyncOptions: [], renames: true, rsyncPath: 'rsync' };
  replica = new Replica(spec, tunables, { root: src, excludes: ['*.tmp'], log: pino({ level: 'silent' }), onReport: (r) => reports.push(r) });
});

afterAll(async () => {
  await replica?.stop(1000);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a local replica, real rsync', () => {
  it('initial sync copies the tree (excludes left out)', async () => {
    mkdirSync(path.join(src, 'a/b'), { recursive: true });
    writeFileSync(path.join(src, 'a/b/one'), 'one');
    writeFileSync(path.join(src, 'top'), 'top');
    writeFileSync(path.join(src, 'skip.tmp'), 'x');
    replica.start({ initialSync: true });
    await replica.initialSyncSettled();
    await replica.whenIdle();
    expect(existsSync(path.join(dst, 'skip.tmp'))).toBe(false);
    rmSync(path.join(src, 'skip.tmp'));
    expect(diffTrees(digestTree(src), digestTree(dst))).toEqual([]);
    expect(replica.status()).toMatchObject({ state: 'idle', fullSyncs: 1 });
  });

  it('writes: new and changed files', async () => {
    writeFileSync(path.join(src, 'new'), 'new');
    writeFileSync(path.join(src, 'top'), 'changed');
    writeFileSync(path.join(src, 'a/b/two'), 'two');
    await sync([write('new'), write('top'), write('a/b/two')]);
    expect(lastBatch()).toMatchObject({ paths: 3, writes: 3, exitCode: 0 });
    expect(lastBatch().stats.filesTransferred).toBe(3);
  });

  it('deletes: a file and a non-empty directory', async () => {
    mkdirSync(path.join(src, 'full/deep'), { recursive: true });
    writeFileSync(path.join(src, 'full/deep/f'), 'f');
    await sync([tree('full')]);
    rmSync(path.join(src, 'full'), { recursive: true });
    rmSync(path.join(src, 'new'));
    await sync([del('full', true), del('new')]);
    expect(existsSync(path.join(dst, 'full'))).toBe(false);
    expect(existsSync(path.join(dst, 'new'))).toBe(false);
  });

  it('a tree: a new directory is synced recursively, extraneous replica entries inside it deleted', async () => {
    mkdirSync(path.join(src, 't/u/v'), { recursive: true });
    writeFileSync(path.join(src, 't/u/v/w'), 'w');
    writeFileSync(path.join(src, 't/x'), 'x');
    mkdirSync(path.join(dst, 't/stale'), { recursive: true });
    writeFileSync(path.join(dst, 't/stale/junk'), 'junk');
    await sync([tree('t')]);
    expect(lastBatch()).toMatchObject({ trees: 1 });
  });

  it('a changed path whose parent is gone, and a path that vanished before rsync ran (exit 24), are fine', async () => {
    await sync([del('nope/x'), write('ghost')]);
  });

  it('renames: a file and a directory move on the replica (same inode, nothing re-sent)', async () => {
    writeFileSync(path.join(src, 'big'), Buffer.alloc(2_000_000, 7));
    mkdirSync(path.join(src, 'd1'));
    writeFileSync(path.join(src, 'd1/inner'), Buffer.alloc(500_000, 3));
    await sync([write('big'), tree('d1')]);
    const bigIno = statSync(path.join(dst, 'big')).ino;
    const innerIno = statSync(path.join(dst, 'd1/inner')).ino;

    mkdirSync(path.join(src, 'moved'));
    renameSync(path.join(src, 'big'), path.join(src, 'moved/big2'));
    renameSync(path.join(src, 'd1'), path.join(src, 'd2'));
    await sync([del('big'), write('moved', { isDir: true }), write('moved/big2', { from: 'big' }), del('d1', true), tree('d2', { from: 'd1' })]);
    expect(statSync(path.join(dst, 'moved/big2')).ino).toBe(bigIno);
    expect(statSync(path.join(dst, 'd2/inner')).ino).toBe(innerIno);
    expect(lastBatch()).toMatchObject({ moves: 2, renamed: 2 });
    expect(lastBatch().stats.bytesSent).toBeLessThan(100_000);
  });

  it('a rename the replica cannot replay (old copy missing) still converges', async () => {
    writeFileSync(path.join(src, 'r1'), 'r1');
    await sync([write('r1')]);
    rmSync(path.join(dst, 'r1'));
    renameSync(path.join(src, 'r1'), path.join(src, 'r2'));
    await sync([del('r1'), write('r2', { from: 'r1' })]);
    expect(reports.filter((r) => r.kind === 'rename').at(-1)).toMatchObject({ renamed: 0, failed: 1 });
  });

  it('hostile names arrive byte-exact and are never interpreted', async () => {
    const names = [
      'new\nline',
      'tab\there',
      '-leading',
      '--delete',
      '$(touch /tmp/pwned)',
      '`touch /tmp/pwned`',
      'semi;colon',
      '; leading semicolon',
      '#leading-hash',
      'pi|pe',
      "quote'single",
      'quote"double',
      'back\\slash',
      'sp ace',
      '*',
      '\xff\xfe not utf8',
      'x'.repeat(255),
      '\xc3\xa9t\xc3\xa9', // "été" in UTF-8
    ];
    mkdirSync(abs(src, '--dir -x'));
    for (const n of names) {
      // '$(touch /tmp/pwned)' holds slashes: it is the file 'pwned)' in the directories '$(touch ' and 'tmp'.
      mkdirSync(abs(src, path.posix.dirname(n)), { recursive: true });
      writeFileSync(abs(src, n), `content of ${n}`);
    }
    for (const n of names.slice(0, 4)) writeFileSync(abs(src, `--dir -x/${n}`), n);
    await sync([...names.map((n) => write(n)), tree('--dir -x')]);
    expect(digestTree(dst).has('\xff\xfe not utf8')).toBe(true);

    // Renames of hostile names replay too.
    const ino = statSync(abs(dst, '$(touch /tmp/pwned)')).ino;
    renameSync(abs(src, '$(touch /tmp/pwned)'), abs(src, '\n-renamed;$(id)'));
    await sync([del('$(touch /tmp/pwned)'), write('\n-renamed;$(id)', { from: '$(touch /tmp/pwned)' })]);
    expect(statSync(abs(dst, '\n-renamed;$(id)')).ino).toBe(ino);

    // And deletes.
    for (const n of names.slice(5)) rmSync(abs(src, n));
    rmSync(abs(src, '$(touch '), { recursive: true });
    rmSync(abs(src, '--dir -x'), { recursive: true });
    await sync([...names.slice(5).map((n) => del(n)), del('--dir -x', true), del('$(touch ', true)]);
    expect(digestTree(dst).has('--dir -x')).toBe(false);
    if (!pwnedBefore) expect(existsSync(PWNED)).toBe(false);
  });

  it('probe: reachable, rsync, writable, and no trace left', async () => {
    const before = digestTree(dst);
    const res = await probeReplica(replica.spec, { root: src, tunables });
    expect(res.checks.map((c) => [c.name, c.ok])).toEqual([
      ['reachable', true],
      ['rsync', true],
      ['writable', true],
    ]);
    expect(res.ok).toBe(true);
    expect(diffTrees(before, digestTree(dst))).toEqual([]);

    const missing = await probeReplica({ ...replica.spec, target: { kind: 'local', path: path.join(dir, 'absent') } }, { root: src, tunables });
    expect(missing.ok).toBe(false);
    expect(missing.checks[0]).toMatchObject({ name: 'reachable', ok: false });
    expect(existsSync(path.join(dir, 'absent'))).toBe(false);
  });
});
