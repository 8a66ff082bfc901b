/**
 * The daemon's integration cases that matter per change source, run on every Linux source:
 * hostile names, a 10,000-file burst, a growing upload, a replica down. Every change is made by
 * another process (test/support/fs-actor.mjs): fanotify and linux-audit drop the daemon's own
 * writes by design, and the daemon runs in this process. fanotify and linux-audit need root (and
 * linux-audit the initial network namespace); CI runs as root.
 */
import { execa } from 'execa';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { WatcherName } from './config/defaults.js';
import { makeTree, startDaemon } from '../test/support/daemon.js';
import { freePort, TestRsyncd } from '../test/support/rsyncd.js';
import { awaitConverged, sampleSizes } from '../test/support/tree.js';
import { LIVE_LAG_BOUND_MS } from '../test/support/bounds.js';

const isRoot = process.getuid?.() === 0;
const WATCHERS: WatcherName[] = ['inotify', 'poll', ...(isRoot ? (['fanotify', 'linux-audit'] as const) : [])];
const actor = path.join(import.meta.dirname, '../test/support/fs-actor.mjs');

/** Runs ops in another process; `detached` ones go on while the test samples the replicas. */
const act = (root: string, ops: unknown[][]) => execa(process.execPath, [actor, root, JSON.stringify(ops)], { timeout: 120_000 });

it('runs every source that must run here', () => {
  expect(WATCHERS).toEqual(isRoot ? ['inotify', 'poll', 'fanotify', 'linux-audit'] : ['inotify', 'poll']);
});

describe.each(WATCHERS)('daemon on %s', (watcher) => {
  it('replicates hostile names byte-exact to a local replica and an rsync daemon, executing nothing', async () => {
    const t = makeTree(1);
    const rsyncd = new TestRsyncd(path.join(t.dir, 'rsyncd'), path.join(t.dir, 'daemon-replica'), await freePort());
    await rsyncd.start();
    const pwnedIn = () => [process.cwd(), t.dir, t.source, t.replicas[0] as string, os.tmpdir()].filter((d) => existsSync(path.join(d, 'pwned-livemirror')));
    const { daemon } = await startDaemon(
      { watcher, source: t.source, replicas: [{ target: t.replicas[0] }, { target: rsyncd.module, passwordFile: rsyncd.passwordFile }] },
      t.dir,
    );
    try {
      const names = ['new\nline', '-leading-dash', '--delete', '$(touch pwned-livemirror)', '; touch pwned-livemirror', '#hash', '\xff\xfe not utf-8 \xc0', 'x'.repeat(255)];
      await act(t.source, [...names.map((n) => ['write', n, `content of ${n}\n`]), ['mkdirp', 'dir \n\xff'], ['write', 'dir \n\xff/--inside', 'x']]);
      await awaitConverged(t.source, [t.replicas[0] as string, rsyncd.dataDir], 20_000);
      await act(t.source, [['rename', 'new\nline', '-renamed\n\xff'], ['rm', '--delete']]);
      await awaitConverged(t.source, [t.replicas[0] as string, rsyncd.dataDir], 20_000);
      expect(pwnedIn()).toEqual([]);
    } finally {
      await daemon.stop();
      await rsyncd.stop();
      t.cleanup();
    }
  });

  it('a burst of 10,000 files in 1,000 directories converges on 2 replicas', async () => {
    const t = makeTree(2);
    const { daemon } = await startDaemon({ watcher, source: t.source, replicas: t.replicas.map((target) => ({ target })) }, t.dir);
    try {
      const t0 = performance.now();
      await act(t.source, [['burst', 'burst', 1000, 10]]);
      const wrote = Math.round(performance.now() - t0);
      const took = await awaitConverged(t.source, t.replicas, 90_000, 200);
      console.log(`${watcher}: wrote 10,000 files in ${wrote} ms; converged on 2 replicas ${took} ms after the last write`);
    } finally {
      await daemon.stop();
      t.cleanup();
    }
  }, 150_000);

  it('a file growing for 3 s (an upload) never appears half-written on a replica', async () => {
    const t = makeTree(2);
    const { daemon } = await startDaemon({ watcher, source: t.source, replicas: t.replicas.map((target) => ({ target })) }, t.dir);
    const size = 30 * 64 * 1024;
    const sampler = sampleSizes(t.replicas, 'upload.bin');
    try {
      await act(t.source, [['grow', 'upload.bin', 64 * 1024, 30, 100]]);
      await awaitConverged(t.source, t.replicas, 15_000);
      const seen = await sampler.stop();
      const partial = seen.filter((n) => n !== size);
      console.log(`${watcher}: upload: ${seen.length} samples of the replicas' copy, ${partial.length} of them partial`);
      expect(partial).toEqual([]);
    } finally {
      await sampler.stop();
      await daemon.stop();
      t.cleanup();
    }
  });

  it('a replica down for 8 s: the other keeps up, the returned one converges', async () => {
    const t = makeTree(1);
    const rsyncd = new TestRsyncd(path.join(t.dir, 'rsyncd'), path.join(t.dir, 'daemon-replica'), await freePort());
    await rsyncd.start();
    const { daemon } = await startDaemon(
      { watcher, source: t.source, replicas: [{ target: t.replicas[0] }, { target: rsyncd.module, name: 'remote', passwordFile: rsyncd.passwordFile }] },
      t.dir,
    );
    try {
      await awaitConverged(t.source, [t.replicas[0] as string, rsyncd.dataDir], 10_000);
      await rsyncd.stop();
      const lags: number[] = [];
      const t0 = performance.now();
      for (let i = 0; performance.now() - t0 < 8000 && i < 200; i++) {
        await act(t.source, [['write', `during-outage-${i}`, `write ${i}\n`]]);
        for (const r of daemon.status().replicas) if (r.name !== 'remote') lags.push(r.lagMs);
      }
      expect(Math.max(...lags)).toBeLessThan(LIVE_LAG_BOUND_MS);
      await awaitConverged(t.source, [t.replicas[0] as string], 10_000);
      await rsyncd.start();
      const back = performance.now();
      await awaitConverged(t.source, [rsyncd.dataDir], 30_000, 100);
      console.log(`${watcher}: outage: live replica's lag max ${Math.max(...lags)} ms; the returned one converged ${Math.round(performance.now() - back)} ms after it came back`);
    } finally {
      await daemon.stop();
      await rsyncd.stop();
      t.cleanup();
    }
  }, 90_000);
});
