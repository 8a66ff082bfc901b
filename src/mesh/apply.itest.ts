/**
 * applyManifest on a real tree and a real LMDB (no daemon): the receiving side's two hardest
 * cases, a local delete racing a peer's version of a directory and a crash between a write and
 * its record. Each test builds one node's tree, state and a peer's manifest by hand.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import type { RelPath } from '../core/path.js';
import { applyManifest, type ApplyOptions } from './apply.js';
import { readState } from './fs-state.js';
import { LocalVersions } from './local.js';
import type { Manifest, ManifestEntry } from './manifest.js';
import { StateDb } from './state-db.js';

const skip = (p: RelPath) => p === '.lm' || p.startsWith('.lm/');

interface Node {
  root: string;
  stage: string;
  db: StateDb;
  local: LocalVersions;
  opts: (db?: StateDb) => ApplyOptions;
}

const dirs: string[] = [];
const dbs: StateDb[] = [];
afterEach(async () => {
  for (const d of dbs.splice(0)) await d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function node(name: string): Node {
  const root = mkdtempSync(path.join(os.tmpdir(), 'lm-apply-'));
  dirs.push(root);
  for (const d of ['.lm/state', '.lm/stage', '.lm/scratch']) mkdirSync(path.join(root, d), { recursive: true });
  const clock = new FakeClock(1_000_000);
  const db = StateDb.open(path.join(root, '.lm/state'));
  dbs.push(db);
  const local = new LocalVersions({ root, db, node: name, clock, skip });
  const opts = (d: StateDb = db): ApplyOptions => ({ root, db: d, local, node: name, clock, skip, scratchDir: path.join(root, '.lm/scratch') });
  return { root, stage: path.join(root, '.lm/stage'), db, local, opts };
}

const manifest = (entries: ManifestEntry[]): Manifest => ({ v: 1, id: 'n2-000000000001-abcd', from: { name: 'n2', id: 'abcd' }, seq: 1, kind: 'batch', at: 0, entries });

describe('applyManifest', () => {
  it('a local rm -rf not yet seen beats a peer\'s concurrent version of the directories (nothing comes back)', async () => {
    const n = node('n1');
    mkdirSync(path.join(n.root, 'a/b'), { recursive: true });
    await n.local.scanAll(); // a, a/b at {n1:1}
    rmSync(path.join(n.root, 'a'), { recursive: true }); // the pipeline has not settled this yet
    // A peer's rescan made its own version of both directories after it had received n1's.
    const dir = { type: 'dir', mode: 0o755 } as const;
    const r = await applyManifest(
      manifest([
        { p: 'a', s: dir, vv: { n1: 1, n2: 1 }, o: 'n2' },
        { p: 'a/b', s: dir, vv: { n1: 1, n2: 1 }, o: 'n2' },
      ]),
      n.stage,
      n.opts(),
    );
    expect(existsSync(path.join(n.root, 'a'))).toBe(false);
    expect(n.db.get('a')?.state).toBeUndefined();
    expect(n.db.get('a/b')?.state).toBeUndefined();
    // The deletions are this node's versions, to be sent: the peer takes them (its version is older).
    expect(r.send.filter((c) => c.deleted).map((c) => c.path).sort()).toEqual(['a', 'a/b']);
    expect(n.db.get('a')?.vv).toEqual({ n1: 2, n2: 1 });
  });

  it('a crash between writing a peer\'s file and recording it keeps the peer\'s version after the restart', async () => {
    const n = node('n1');
    const f = path.join(n.root, 'f.txt');
    writeFileSync(f, 'old');
    utimesSync(f, 1000, 1000);
    await n.local.scanAll(); // f at {n1:1}
    // The peer's newer version, staged as rsync would leave it.
    const staged = path.join(n.stage, 'f.txt');
    writeFileSync(staged, 'newer from n2');
    utimesSync(staged, 2000, 2000);
    const entry: ManifestEntry = { p: 'f.txt', s: await readState(n.stage, 'f.txt'), vv: { n1: 1, n2: 1 }, o: 'n2' };
    // The process dies at its first record (the database refuses every write from then on).
    const dying = Object.create(n.db, { write: { value: () => { throw new Error('killed'); } } }) as StateDb;
    const crashed = await applyManifest(manifest([entry]), n.stage, n.opts(dying));
    expect(crashed.skipped).toBe(1);
    // Restart (MeshNode.catchUp): the manifest, still in the inbox, is applied again, then the scan.
    const again = await applyManifest(manifest([entry]), n.stage, { ...n.opts(), recovering: true });
    const found = await n.local.scanAll();
    expect(readFileSync(f, 'utf8')).toBe('newer from n2');
    // The disk already held exactly n2's version: recorded as n2's, not as a new version of n1's
    // own, which would be sent and conflict with whatever n2 writes next.
    expect(n.db.get('f.txt')).toMatchObject({ state: entry.s, vv: { n1: 1, n2: 1 }, origin: 'n2' });
    expect(again.conflicts).toBe(0);
    expect(again.send).toEqual([]);
    expect(found).toEqual([]);
  });

  it('a crash between applying a peer\'s deletion and recording it: the deletion is the peer\'s after the restart', async () => {
    const n = node('n1');
    writeFileSync(path.join(n.root, 'gone.txt'), 'deleted by n2');
    await n.local.scanAll(); // gone.txt at {n1:1}
    rmSync(path.join(n.root, 'gone.txt')); // applied, then killed before the record
    const again = await applyManifest(manifest([{ p: 'gone.txt', vv: { n1: 1, n2: 1 }, o: 'n2' }]), n.stage, { ...n.opts(), recovering: true });
    expect(await n.local.scanAll()).toEqual([]);
    expect(n.db.get('gone.txt')).toMatchObject({ vv: { n1: 1, n2: 1 }, origin: 'n2' });
    expect(n.db.get('gone.txt')?.state).toBeUndefined();
    expect(again.send).toEqual([]);
  });

  it('a local edit made while the daemon was down still conflicts with a peer\'s concurrent version', async () => {
    const n = node('n1');
    const f = path.join(n.root, 'f.txt');
    writeFileSync(f, 'base');
    utimesSync(f, 1000, 1000);
    await n.local.scanAll(); // f at {n1:1}
    writeFileSync(f, 'edited here while down');
    utimesSync(f, 1500, 1500);
    const staged = path.join(n.stage, 'f.txt');
    writeFileSync(staged, 'n2 edit');
    utimesSync(staged, 2000, 2000);
    const r = await applyManifest(manifest([{ p: 'f.txt', s: await readState(n.stage, 'f.txt'), vv: { n1: 1, n2: 1 }, o: 'n2' }]), n.stage, n.opts());
    expect(r.conflicts).toBe(1);
    expect(readFileSync(f, 'utf8')).toBe('n2 edit');
    const copies = readdirSync(n.root).filter((x) => x.startsWith('f.sync-conflict-'));
    expect(copies.map((c) => readFileSync(path.join(n.root, c), 'utf8'))).toEqual(['edited here while down']);
  });

  it('while running, a local edit not yet settled stays this node\'s even when a peer sends the same state', async () => {
    const n = node('n2');
    const f = path.join(n.root, 'f.txt');
    writeFileSync(f, 'x');
    chmodSync(f, 0o644);
    await n.local.scanAll(); // f at {n2:1}, 0644
    chmodSync(f, 0o444); // the pipeline has not settled this chmod yet
    // A peer staged the file from here after the chmod and recorded it under {n2:1}; its full sync offers it back.
    const offered = await readState(n.root, 'f.txt');
    const r = await applyManifest(manifest([{ p: 'f.txt', ...(offered ? { s: offered } : {}), vv: { n2: 1 }, o: 'n2' }]), n.stage, n.opts());
    // The chmod is a new version of n2's, to be sent — not folded into {n2:1}, which other peers hold as 0644.
    expect(n.db.get('f.txt')?.vv).toEqual({ n2: 2 });
    expect(r.send.map((c) => c.path)).toEqual(['f.txt']);
  });

  it('a peer\'s file applied before the manifest that made its directory: every node ends with the same mode', async () => {
    // mesh-4way seed 08f5c3578bac: n3, restarting, applied n4's file d/f before n4's earlier
    // manifest that made d (chmod 0775). n3 made d itself ({n3:1}) and offered it to its peers;
    // the two versions of d met on both sides as a merge, and each side kept its own mode.
    const n3 = node('n3');
    const n1 = node('n1');
    const fromN4 = (seq: number, entries: ManifestEntry[]): Manifest => ({ ...manifest(entries), id: `n4-${String(seq).padStart(12, '0')}-dcba`, from: { name: 'n4', id: 'dcba' }, seq });
    const stageFile = async (n: Node, id: string): Promise<ManifestEntry> => {
      mkdirSync(path.join(n.stage, id, 'd'), { recursive: true });
      writeFileSync(path.join(n.stage, id, 'd/f'), 'n4 data');
      utimesSync(path.join(n.stage, id, 'd/f'), 1000, 1000);
      return { p: 'd/f', s: await readState(path.join(n.stage, id), 'd/f'), vv: { n4: 1 }, o: 'n4' };
    };
    const dirEntry: ManifestEntry = { p: 'd', s: { type: 'dir', mode: 0o775 }, vv: { n4: 1 }, o: 'n4' };
    const mkdirs = fromN4(316, [dirEntry]);

    // n3: the file first; d is made here as n3's own version, to be sent.
    const fileOnN3 = fromN4(319, [await stageFile(n3, 'late')]);
    const early = await applyManifest(fileOnN3, path.join(n3.stage, 'late'), n3.opts());
    expect(early.send.map((c) => c.path)).toEqual(['d']);
    const offered = n3.db.get('d');
    expect(offered).toMatchObject({ vv: { n3: 1 }, origin: 'n3' });
    // ... then n4's directory.
    const late = await applyManifest(mkdirs, path.join(n3.stage, 'none'), n3.opts());
    expect(late.merged).toBe(1);

    // n1: n4's manifests in order, then n3's version of d (its initial sync offered its index).
    await applyManifest(mkdirs, path.join(n1.stage, 'none'), n1.opts());
    await applyManifest(fromN4(319, [await stageFile(n1, 'late')]), path.join(n1.stage, 'late'), n1.opts());
    const fromN3: Manifest = { ...manifest([{ p: 'd', ...(offered?.state ? { s: offered.state } : {}), vv: offered?.vv ?? {}, o: 'n3' }]), id: 'n3-000000000240-beef', from: { name: 'n3', id: 'beef' }, kind: 'full' };
    expect((await applyManifest(fromN3, path.join(n1.stage, 'none'), n1.opts())).merged).toBe(1);

    // One version of d, with one mode, on disk and in the records of both nodes: the writer's.
    for (const n of [n3, n1]) {
      expect(n.db.get('d')).toMatchObject({ state: { type: 'dir', mode: 0o775 }, vv: { n3: 1, n4: 1 }, origin: 'n4' });
      expect(await readState(n.root, 'd')).toEqual({ type: 'dir', mode: 0o775 });
      expect(await n.local.scanAll()).toEqual([]);
    }
  });

  it('a directory renamed here, not yet settled, when a peer\'s entry for it arrives: its children are recorded gone with it', async () => {
    // mesh-4way phase 1: n4 renamed d; a peer's full-sync index reached n4 first. Recording
    // only d as deleted (and sending it as a file) left d/f live in n4's records; the peers could
    // not remove d (d/f still there) and kept it under n4's deleting version, for ever.
    const n = node('n4');
    mkdirSync(path.join(n.root, 'd'));
    writeFileSync(path.join(n.root, 'd/f'), 'f');
    await n.local.scanAll(); // d, d/f at {n4:1}
    renameSync(path.join(n.root, 'd'), path.join(n.root, 'e'));
    const dir = { type: 'dir', mode: 0o755 } as const;
    const r = await applyManifest({ ...manifest([{ p: 'd', s: dir, vv: { n4: 1 }, o: 'n4' }]), kind: 'full' }, n.stage, n.opts());
    expect(n.db.get('d')).toMatchObject({ vv: { n4: 2 }, origin: 'n4' });
    expect(n.db.get('d')?.state).toBeUndefined();
    expect(n.db.get('d/f')?.state).toBeUndefined();
    expect(r.send.map((c) => [c.path, c.deleted, c.isDir]).sort()).toEqual([
      ['d', true, true],
      ['d/f', true, false],
    ]);
  });

  it('a directory a peer deleted that still holds something here stays as a new version of this node, which the peer takes', async () => {
    const n = node('n2');
    mkdirSync(path.join(n.root, 'd'));
    await n.local.scanAll(); // d at {n2:1}
    writeFileSync(path.join(n.root, 'd/mine'), 'not sent yet');
    const r = await applyManifest(manifest([{ p: 'd', vv: { n1: 1, n2: 1 }, o: 'n1' }]), n.stage, n.opts());
    expect(existsSync(path.join(n.root, 'd/mine'))).toBe(true);
    // Newer than the delete (not recorded under its vector, which the peer holds as deleted).
    expect(n.db.get('d')).toMatchObject({ state: { type: 'dir', mode: 0o755 }, vv: { n1: 1, n2: 2 }, origin: 'n2' });
    expect(r.send.map((c) => c.path)).toEqual(['d']);
  });

  it('a parent made for a peer\'s file is recorded with the mode it got (the umask), so the next look finds nothing new', async () => {
    const n = node('n1');
    mkdirSync(path.join(n.stage, 'd'));
    writeFileSync(path.join(n.stage, 'd/f'), 'peer data');
    const s = await readState(n.stage, 'd/f');
    const old = process.umask(0o002);
    try {
      const r = await applyManifest(manifest([{ p: 'd/f', ...(s ? { s } : {}), vv: { n2: 1 }, o: 'n2' }]), n.stage, n.opts());
      expect(r.send.map((c) => c.path)).toEqual(['d']);
    } finally {
      process.umask(old);
    }
    expect(await readState(n.root, 'd')).toEqual({ type: 'dir', mode: 0o775 });
    expect(n.db.get('d')?.state).toEqual({ type: 'dir', mode: 0o775 });
    expect(await n.local.scanAll()).toEqual([]);
  });

  it('staged data that is not the announced version (the sender changed it meanwhile) is left for later', async () => {
    const n = node('n1');
    const staged = path.join(n.stage, 'g.txt');
    writeFileSync(staged, 'content');
    const announced = await readState(n.stage, 'g.txt');
    chmodSync(staged, 0o600); // rsync read the file after a chmod on the sender
    const r = await applyManifest(manifest([{ p: 'g.txt', ...(announced ? { s: announced } : {}), vv: { n2: 1 }, o: 'n2' }]), n.stage, n.opts());
    expect(r.skipped).toBe(1);
    expect(r.skippedPaths).toEqual(['g.txt']);
    expect(existsSync(path.join(n.root, 'g.txt'))).toBe(false);
    expect(n.db.get('g.txt')).toBeUndefined();
  });
});
