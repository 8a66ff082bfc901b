/**
 * changedWhileStaged on a real tree: which paths a sender sends again after staging them.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readState } from './fs-state.js';
import type { ManifestEntry } from './manifest.js';
import { changedWhileStaged } from './push.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'lm-push-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const nowNs = () => BigInt(Date.now()) * 1_000_000n;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('changedWhileStaged', () => {
  it('names a file touched during staging (even when undone) or no longer as announced; not a still one or a gone one', async () => {
    for (const f of ['still', 'flipped', 'edited', 'gone']) writeFileSync(path.join(root, f), f);
    const entry = async (p: string): Promise<ManifestEntry> => {
      const s = await readState(root, p);
      return { p, ...(s ? { s } : {}), vv: { n1: 1 }, o: 'n1' };
    };
    const entries = await Promise.all(['still', 'flipped', 'edited', 'gone'].map(entry));
    await sleep(20); // the coarse kernel clock behind ctime must be past the files' creation
    const since = nowNs();
    await sleep(20);
    chmodSync(path.join(root, 'flipped'), 0o600); // a chmod and back while rsync read it
    chmodSync(path.join(root, 'flipped'), 0o644);
    writeFileSync(path.join(root, 'edited'), 'edited, longer');
    rmSync(path.join(root, 'gone'));
    expect(await changedWhileStaged(root, entries, since)).toEqual(['flipped', 'edited']);
    // Nothing happened since: nothing goes again.
    expect(await changedWhileStaged(root, await Promise.all(['still', 'flipped', 'edited'].map(entry)), nowNs() + 1_000_000_000n)).toEqual([]);
  });
});
