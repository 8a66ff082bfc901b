/**
 * A local replica with in-process copies on (localCopyMaxBytes): small written files reach the
 * replica without an rsync process, exactly as rsync would leave them; everything else still
 * goes through rsync. Real rsync, real trees; the rsync runner is wrapped only to count calls.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change } from '../core/change.js';
import { digestTree, diffTrees } from '../../test/support/tree.js';
import { testTunables, tree, write } from '../../test/support/changes.js';
import { Replica } from './replica.js';
import { rsyncRunner } from './rsync-run.js';
import type { ReplicaSpec } from '../core/replica-spec.js';

let dir: string;
let src: string;
let dst: string;
let replica: Replica;
let rsyncCalls = 0;

async function sync(changes: Change[]): Promise<number> {
  const before = rsyncCalls;
  replica.enqueue(changes);
  await replica.whenIdle();
  expect(replica.status()).toMatchObject({ state: 'idle', queued: 0, inFlight: 0 });
  expect(diffTrees(digestTree(src), digestTree(dst))).toEqual([]);
  return rsyncCalls - before;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lm-replica-lcopy-'));
  src = path.join(dir, 'src');
  dst = path.join(dir, 'dst');
  mkdirSync(path.join(src, 'a'), { recursive: true });
  mkdirSync(dst);
  const spec: ReplicaSpec = { name: 'local', target: { kind: 'local', path: dst }, targetText: dst, rsyncOptions: [], renames: true, rsyncPath: 'rsync' };
  const real = rsyncRunner();
  replica = new Replica(spec, testTunables({ localCopyMaxBytes: 4096 }), {
    root: src,
    excludes: [],
    log: pino({ level: 'silent' }),
    runRsync: (req) => {
      rsyncCalls++;
      return real(req);
    },
  });
  replica.start({ initialSync: true });
  await replica.initialSyncSettled();
  await replica.whenIdle();
});

afterAll(async () => {
  await replica?.stop(1000);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a local replica with in-process copies', () => {
  it('small written files arrive without an rsync process, content, mode and mtime as rsync makes them', async () => {
    writeFileSync(path.join(src, 'a/new.txt'), 'new\n');
    writeFileSync(path.join(src, 'top.txt'), 'top\n', { mode: 0o600 });
    expect(await sync([write('a/new.txt'), write('top.txt')])).toBe(0);
    writeFileSync(path.join(src, 'a/new.txt'), 'rewritten\n');
    expect(await sync([write('a/new.txt')])).toBe(0);
    expect(statSync(path.join(dst, 'a/new.txt'), { bigint: true }).mtimeNs).toBe(statSync(path.join(src, 'a/new.txt'), { bigint: true }).mtimeNs);
  });

  it('rsync still takes bigger files and new trees', async () => {
    writeFileSync(path.join(src, 'big.bin'), Buffer.alloc(8192, 7));
    expect(await sync([write('big.bin')])).toBe(1);
    mkdirSync(path.join(src, 'fresh/deep'), { recursive: true });
    writeFileSync(path.join(src, 'fresh/deep/f'), 'f');
    expect(await sync([tree('fresh'), write('fresh/deep/f')])).toBeGreaterThanOrEqual(1);
  });
});
