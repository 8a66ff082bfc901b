/**
 * The daemon end to end on one machine: real inotify, real rsync, temp dirs, local replicas and
 * an rsync daemon on 127.0.0.1. Needs root for the tests that change /proc/sys/fs/inotify limits
 * (overflow); the rest run as any user. Every wait is a deadline, never a fixed sleep.
 */
import { appendFileSync, chmodSync, mkdirSync, openSync, closeSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync, writeSync, existsSync, mkdtempSync, rmdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from './daemon.js';
import { makeTree, startDaemon, type TestTree } from '../test/support/daemon.js';
import { freePort, TestRsyncd } from '../test/support/rsyncd.js';
import { awaitConverged, sampleSizes } from '../test/support/tree.js';
import { LIVE_LAG_BOUND_MS } from '../test/support/bounds.js';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('daemon: every kind of change reaches two local replicas', () => {
  let t: TestTree;
  let daemon: Daemon;
  const at = (p: string) => path.join(t.source, p);
  const converged = () => awaitConverged(t.source, t.replicas, 15_000);

  beforeAll(async () => {
    t = makeTree(2);
    writeFileSync(at('before-start.txt'), 'was there before the daemon\n');
    ({ daemon } = await startDaemon({ source: t.source, replicas: t.replicas.map((target) => ({ target })) }, t.dir));
    await converged();
  });
  afterAll(async () => {
    await daemon?.stop();
    t?.cleanup();
  });

  it('initial sync copied what was there before', () => {
    expect(readFileSync(path.join(t.replicas[0]!, 'before-start.txt'), 'utf8')).toBe('was there before the daemon\n');
  });
  it('create, modify, append, chmod, delete a file', async () => {
    writeFileSync(at('f.txt'), 'one\n');
    await converged();
    writeFileSync(at('f.txt'), 'two, longer\n');
    await converged();
    appendFileSync(at('f.txt'), 'three\n');
    await converged();
    chmodSync(at('f.txt'), 0o600);
    await converged();
    expect(readFileSync(path.join(t.replicas[1]!, 'f.txt'), 'utf8')).toBe('two, longer\nthree\n');
    rmSync(at('f.txt'));
    await converged();
  });
  it('a same-size rewrite within the same second (rsync compares whole seconds unless told)', async () => {
    for (let i = 0; i < 5; i++) {
      writeFileSync(at('same-size'), `version ${i}\n`);
      await converged();
    }
    expect(readFileSync(path.join(t.replicas[0]!, 'same-size'), 'utf8')).toBe('version 4\n');
  });
  it('mkdir; mkdir -p deep then write at once; rmdir; rm -rf a tree', async () => {
    mkdirSync(at('d'));
    await converged();
    mkdirSync(at('a/b/c/d/e'), { recursive: true });
    writeFileSync(at('a/b/c/d/e/f'), 'deep\n');
    await converged();
    writeFileSync(at('a/b/c/d/e/g'), 'later, through the new watch\n');
    await converged();
    rmdirSync(at('d'));
    await converged();
    rmSync(at('a'), { recursive: true });
    await converged();
  });
  it('rename a file, a directory, and across directories', async () => {
    mkdirSync(at('x/y'), { recursive: true });
    writeFileSync(at('x/y/file'), 'content to move\n');
    await converged();
    renameSync(at('x/y/file'), at('x/y/renamed'));
    await converged();
    renameSync(at('x/y'), at('x/z'));
    await converged();
    writeFileSync(at('x/z/after-dir-rename'), 'the watch follows the renamed directory\n');
    await converged();
    mkdirSync(at('other'));
    renameSync(at('x/z/renamed'), at('other/moved'));
    await converged();
  });
  it('a tree moved into the source and out of it', async () => {
    const outside = mkdtempSync(path.join(t.dir, 'outside-'));
    mkdirSync(path.join(outside, 'tree/sub/deeper'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(path.join(outside, `tree/sub/deeper/f${i}`), `file ${i}\n`);
    renameSync(path.join(outside, 'tree'), at('moved-in'));
    await converged();
    writeFileSync(at('moved-in/sub/new'), 'written inside the moved-in tree\n');
    await converged();
    renameSync(at('moved-in'), path.join(outside, 'moved-out'));
    await converged();
  });
  it('symlinks are copied as symlinks', async () => {
    writeFileSync(at('target'), 't\n');
    symlinkSync('target', at('rel-link'));
    symlinkSync('/etc/hostname', at('abs-link'));
    symlinkSync('does/not/exist', at('dangling'));
    await converged();
    expect(readFileSync(path.join(t.replicas[0]!, 'rel-link'), 'utf8')).toBe('t\n');
  });
});

describe('daemon: a burst of 10,000 files in 1,000 directories', () => {
  it('is byte-identical on 4 local replicas', async () => {
    const t = makeTree(4);
    const { daemon } = await startDaemon({ source: t.source, replicas: t.replicas.map((target) => ({ target })) }, t.dir);
    try {
      const t0 = Date.now();
      for (let d = 0; d < 1000; d++) {
        const dir = path.join(t.source, `d${d % 10}`, `dir${d}`);
        mkdirSync(dir, { recursive: true });
        for (let f = 0; f < 10; f++) writeFileSync(path.join(dir, `file${f}`), `dir ${d} file ${f}\n`.repeat(1 + ((d * f) % 7)));
      }
      const wrote = Date.now() - t0;
      const took = await awaitConverged(t.source, t.replicas, 90_000, 200);
      console.log(`burst: wrote 10,000 files in ${wrote} ms; converged on 4 replicas ${took} ms after the last write`);
    } finally {
      await daemon.stop();
      t.cleanup();
    }
  });
});

describe('daemon: kernel queue overflow (root: lowers fs.inotify.max_queued_events)', () => {
  const knob = '/proc/sys/fs/inotify/max_queued_events';
  it('rescans and still converges', async () => {
    const saved = readFileSync(knob, 'utf8').trim();
    const t = makeTree(2);
    writeFileSync(knob, '32');
    let daemon: Daemon | undefined;
    try {
      ({ daemon } = await startDaemon({ source: t.source, replicas: t.replicas.map((target) => ({ target })) }, t.dir));
      writeFileSync(knob, saved); // the daemon's inotify instance keeps its small queue
      // Written synchronously in the daemon's own process, so nothing is read until the loop ends:
      // 3000 files × 3 events in an already watched directory overflow a queue of 32.
      for (let i = 0; i < 3000; i++) writeFileSync(path.join(t.source, `f${i}`), `${i}\n`);
      await awaitConverged(t.source, t.replicas, 30_000, 100);
      expect(daemon.status().overflows).toBeGreaterThan(0);
    } finally {
      writeFileSync(knob, saved);
      await daemon?.stop();
      t.cleanup();
    }
  });
});


describe('daemon: one replica down for 30 s while writes go on', () => {
  it('the others go on as if nothing happened; the stopped one converges after it returns', async () => {
    const t = makeTree(3);
    const rsyncd = new TestRsyncd(path.join(t.dir, 'rsyncd'), path.join(t.dir, 'daemon-replica'), await freePort());
    await rsyncd.start();
    const { daemon } = await startDaemon(
      {
        source: t.source,
        replicas: [...t.replicas.map((target) => ({ target })), { target: rsyncd.module, name: 'remote', passwordFile: rsyncd.passwordFile }],
      },
      t.dir,
    );
    try {
      await awaitConverged(t.source, [...t.replicas, rsyncd.dataDir], 10_000);
      await rsyncd.stop();
      const lags: number[] = [];
      let remoteLagSeen = 0;
      const t0 = Date.now();
      for (let i = 0; Date.now() - t0 < 30_000 && i < 1000; i++) {
        writeFileSync(path.join(t.source, `during-outage-${i}`), `write ${i}\n`);
        for (let k = 0; k < 4; k++) {
          await new Promise((r) => setTimeout(r, 50));
          for (const r of daemon.status().replicas) {
            if (r.name === 'remote') remoteLagSeen = Math.max(remoteLagSeen, r.lagMs);
            else lags.push(r.lagMs);
          }
        }
      }
      const { p50, p99, max } = percentiles(lags);
      console.log(`outage: lag of the 3 live replicas p50 ${p50} ms, p99 ${p99} ms, max ${max} ms (${lags.length} samples); stopped replica's lag reached ${remoteLagSeen} ms`);
      expect(max).toBeLessThan(LIVE_LAG_BOUND_MS);
      expect(remoteLagSeen).toBeGreaterThan(20_000);
      await awaitConverged(t.source, t.replicas, 5000);
      await rsyncd.start();
      const back = Date.now();
      await awaitConverged(t.source, [rsyncd.dataDir], 30_000, 100);
      console.log(`outage: the returned replica converged ${Date.now() - back} ms after its rsync daemon came back`);
    } finally {
      await daemon.stop();
      await rsyncd.stop();
      t.cleanup();
    }
  }, 120_000);
});

describe('daemon: a file growing slowly over 5 s (an upload)', () => {
  it('never appears half-written on a replica', async () => {
    const t = makeTree(2);
    const { daemon } = await startDaemon({ source: t.source, replicas: t.replicas.map((target) => ({ target })) }, t.dir);
    const chunk = Buffer.alloc(64 * 1024, 'u');
    const chunks = 50;
    const sampler = sampleSizes(t.replicas, 'upload.bin');
    try {
      const fd = openSync(path.join(t.source, 'upload.bin'), 'w');
      for (let i = 0; i < chunks; i++) {
        writeSync(fd, chunk);
        await new Promise((res) => setTimeout(res, 100));
      }
      closeSync(fd);
      await awaitConverged(t.source, t.replicas, 10_000);
      const seen = await sampler.stop();
      const partial = seen.filter((n) => n !== chunk.length * chunks);
      console.log(`upload: ${seen.length} samples of the replicas' copy, ${partial.length} of them partial`);
      expect(partial).toEqual([]);
    } finally {
      await sampler.stop();
      await daemon.stop();
      t.cleanup();
    }
  });
});

describe('daemon: hostile file names', () => {
  const names = [
    'with space',
    'new\nline',
    'tab\there',
    '-leading-dash',
    '--delete',
    '$(touch pwned-livemirror)',
    '`touch pwned-livemirror`',
    '; touch pwned-livemirror',
    '#not-a-comment',
    'semi;colon',
    'pipe|here',
    `quotes'"both`,
    'back\\slash',
    '\xff\xfe not utf-8 \xc0',
    'x'.repeat(255),
    '*glob?[x]',
  ];
  it('replicate byte-exact to a local replica and an rsync daemon, and nothing is executed', async () => {
    const t = makeTree(1);
    // Had any shell seen a name, `touch pwned-livemirror` would have run in some working directory.
    const pwnedIn = () => [process.cwd(), t.dir, t.source, t.replicas[0]!, os.tmpdir(), os.homedir()].filter((d) => existsSync(path.join(d, 'pwned-livemirror')));
    const rsyncd = new TestRsyncd(path.join(t.dir, 'rsyncd'), path.join(t.dir, 'daemon-replica'), await freePort());
    await rsyncd.start();
    const { daemon } = await startDaemon(
      { source: t.source, replicas: [{ target: t.replicas[0]! }, { target: rsyncd.module, passwordFile: rsyncd.passwordFile }] },
      t.dir,
    );
    try {
      const src = Buffer.from(t.source);
      const join = (...parts: Buffer[]) => Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [p] : [b('/'), p])));
      for (const n of names) writeFileSync(join(src, b(n)), `content of ${n}\n`);
      mkdirSync(join(src, b('dir \n\xff')));
      writeFileSync(join(src, b('dir \n\xff'), b('--inside')), 'x');
      await awaitConverged(t.source, [t.replicas[0]!, rsyncd.dataDir], 15_000);
      renameSync(join(src, b('new\nline')), join(src, b('-renamed\n\xff')));
      rmSync(join(src, b('--delete')));
      await awaitConverged(t.source, [t.replicas[0]!, rsyncd.dataDir], 15_000);
      expect(pwnedIn()).toEqual([]);
    } finally {
      await daemon.stop();
      await rsyncd.stop();
      t.cleanup();
    }
  });
});

function percentiles(xs: number[]): { p50: number; p99: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), max: s[s.length - 1] ?? 0 };
}

describe('daemon: the source changing under rsync', () => {
  /**
   * Runs ON this machine as a child process: for `ms`, swaps random files of `dir` (named
   * f0..f{n-1}) between a regular file and a symlink, as fast as it can — what an upload tool
   * or an atomic-save editor does to rsync between its file list and its send.
   */
  const SWAPPER = `
const fs = require('node:fs');
const [dir, n, ms] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const t0 = Date.now();
let swaps = 0;
while (Date.now() - t0 < ms && swaps < 10_000_000) {
  const f = dir + '/f' + Math.floor(Math.random() * n);
  try {
    if (fs.lstatSync(f).isSymbolicLink()) { fs.unlinkSync(f); fs.writeFileSync(f, 'data ' + swaps + '\\n'); }
    else { fs.unlinkSync(f); fs.symlinkSync('nowhere-' + swaps, f); }
    swaps++;
  } catch {}
}
process.stdout.write(String(swaps));
`;

  it('costs no backoff: the paths go out again at once, and the replicas converge', async () => {
    const t = makeTree(2);
    const dir = path.join(t.source, 'hot');
    mkdirSync(dir);
    const n = 2000;
    for (let i = 0; i < n; i++) writeFileSync(path.join(dir, `f${i}`), 'x'.repeat(4096));
    const { daemon, logFile } = await startDaemon({ source: t.source, replicas: t.replicas.map((target) => ({ target })) }, t.dir);
    try {
      await awaitConverged(t.source, t.replicas, 30_000);
      const { execa } = await import('execa');
      const swapper = await execa('node', ['-e', SWAPPER, dir, String(n), '8000'], { reject: false });
      await awaitConverged(t.source, t.replicas, 60_000);
      const reports = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as { event?: string; replica?: string; verdict?: string; stderrTail?: string; reason?: string });
      const raced = reports.filter((r) => r.event === 'source-changed').length;
      const errors = reports.filter((r) => r.event === 'error');
      console.log(`source races: ${swapper.stdout} swaps in 8 s, ${raced} runs met files changing under rsync, ${errors.length} errors`);
      expect(raced).toBeGreaterThan(0);
      expect(errors.map((e) => `${e.replica}: ${e.reason}: ${e.stderrTail}`)).toEqual([]);
      await daemon.whenIdle();
      for (const r of daemon.status().replicas) expect(r).toMatchObject({ state: 'idle', attempts: 0 });
    } finally {
      await daemon.stop();
      t.cleanup();
    }
  }, 120_000);
});
