/**
 * MeshPush on a real tree, a real LMDB and real rsync into a local peer: a file replaced while
 * rsync staged it stays out of the manifest. rsync takes a file's size, mtime and mode from its
 * file list and the bytes later; a same-size file renamed over the path in between (a peer's
 * version applied on the sender) is staged as the old state with the new bytes, which no check
 * on the receiving side can tell (mesh-4way, phase 2: a conflict copy that held n4's bytes
 * under n1's name and mtime on one node only, for ever). The runner here lets rsync stage, then
 * does what that race leaves behind.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { testTunables } from '../../test/support/changes.js';
import { realClock } from '../core/clock.js';
import { meshRel } from '../core/mesh-layout.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { PassContext } from '../replicate/batch-run.js';
import { rsyncRunner, type RunRsync } from '../replicate/rsync-run.js';
import { readState } from './fs-state.js';
import { LocalVersions } from './local.js';
import { LoopDetector } from './loop-detector.js';
import { decodeManifest } from './manifest.js';
import { MeshPush } from './push.js';
import { StateDb } from './state-db.js';

const dirs: string[] = [];
const dbs: StateDb[] = [];
afterEach(async () => {
  for (const d of dbs.splice(0)) await d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MeshPush staging', () => {
  it('a file replaced by a same-size one while rsync staged it is left out of the manifest and queued again', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'lm-push-stage-'));
    dirs.push(base);
    const root = path.join(base, 'n1');
    const peer = path.join(base, 'n2');
    for (const d of [meshRel.state, meshRel.scratch]) mkdirSync(path.join(root, d), { recursive: true });
    for (const d of [meshRel.inbox, meshRel.stage]) mkdirSync(path.join(peer, d), { recursive: true });
    writeFileSync(path.join(peer, meshRel.nodeFile), JSON.stringify({ name: 'n2', id: 'peer' }));
    const write = (p: string, text: string, mtimeS: number) => {
      writeFileSync(path.join(root, p), text);
      utimesSync(path.join(root, p), mtimeS, mtimeS);
    };
    write('four.txt', 'four-way edit by n1\n', 1_000_010);
    write('still.txt', 'nobody touches this\n', 1_000_000);

    const db = StateDb.open(path.join(root, meshRel.state));
    dbs.push(db);
    const skip = (p: string) => p === '.livemirror' || p.startsWith('.livemirror/');
    const local = new LocalVersions({ root, db, node: 'n1', clock: realClock, skip });
    const changes = await local.scanAll();
    const announced = db.get('four.txt')?.state;
    await sleep(30); // the coarse kernel clock behind ctime is past the writes above

    const real = rsyncRunner();
    const run: RunRsync = async (req) => {
      const r = await real(req);
      if (!req.args.some((a) => a.includes('/stage/'))) return r;
      // What the race leaves: on the sender, n4's version (same size) renamed over the path
      // after rsync listed it; in the stage, n4's bytes under n1's size, mtime and mode.
      const n4 = path.join(root, '.livemirror/scratch/n4');
      writeFileSync(n4, 'four-way edit by n4\n');
      utimesSync(n4, 1_000_013, 1_000_013);
      renameSync(n4, path.join(root, 'four.txt'));
      const stageDir = readdirSync(path.join(peer, meshRel.stage))[0] ?? '';
      const staged = path.join(peer, meshRel.stage, stageDir, 'four.txt');
      writeFileSync(staged, 'four-way edit by n4\n');
      utimesSync(staged, 1_000_010, 1_000_010);
      return r;
    };
    const spec: ReplicaSpec = { name: 'n2', target: { kind: 'local', path: peer }, targetText: peer, rsyncOptions: [], renames: false, rsyncPath: 'rsync' };
    const push = new MeshPush(
      {
        root,
        db,
        identity: { name: 'n1', id: 'self' },
        nextSeq: (() => {
          let seq = 0;
          return () => ++seq;
        })(),
        detector: new LoopDetector({ windowMs: 60_000, threshold: 10, maxHoldMs: 60_000 }),
        clock: realClock,
        scratchDir: path.join(root, meshRel.scratch),
        protection: true,
        valve: { share: 1, floor: 1_000_000, windowMs: 60_000 },
        recentLoss: () => 0,
        identityRecheckMs: 60_000,
      },
      spec,
    );
    const ctx: PassContext = {
      spec,
      tunables: testTunables({}),
      root,
      excludes: [],
      run,
      renamer: undefined,
      clock: realClock,
      emit: () => {},
      signal: new AbortController().signal,
      massDeleteAllowed: false,
    };
    const out = await push.batch(ctx, changes, { trees: [], writes: [], deletes: [], dirs: [], moves: [], changes: changes.length, oldest: 0 });

    expect(out.ok).toBe(true);
    if (!out.ok) return;
    // The staged copy passes every check the peer can make: the announced size, mtime and mode.
    const stageId = readdirSync(path.join(peer, meshRel.stage))[0] ?? '';
    expect(await readState(path.join(peer, meshRel.stage, stageId), 'four.txt')).toEqual(announced);
    expect(readFileSync(path.join(peer, meshRel.stage, stageId, 'four.txt'), 'utf8')).toBe('four-way edit by n4\n');
    // ... so the manifest does not announce it; the untouched file goes; the path is queued again.
    const inbox = readdirSync(path.join(peer, meshRel.inbox)).filter((n) => n.endsWith('.json'));
    expect(inbox).toHaveLength(1);
    const m = decodeManifest(readFileSync(path.join(peer, meshRel.inbox, inbox[0] ?? ''), 'utf8'));
    expect(m.entries.map((e) => e.p).sort()).toEqual(['still.txt']);
    expect(out.changedUnder).toEqual(['four.txt']);
  });
});
