import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../test/support/fake-clock.js';
import { resolveConfig } from './config/load.js';
import type { FsEvent } from './core/event.js';
import { Daemon } from './daemon.js';
import type { RsyncRequest, RsyncResult } from './replicate/rsync-run.js';
import { BatchChannel } from './watch/batch-channel.js';
import type { EventSource } from './watch/source.js';

/**
 * The whole daemon (source → settle → replicas → rsync) on a fake clock: every timing rule is
 * checked to the millisecond, with no sleeps. The source and rsync are fakes; everything
 * between them is the real code.
 */
const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-daemon-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class FakeSource implements EventSource {
  readonly channel = new BatchChannel<FsEvent[]>(64);
  async start(): Promise<void> {}
  events(): AsyncIterable<FsEvent[]> {
    return this.channel.iterable();
  }
  async close(): Promise<void> {
    this.channel.end();
  }
  stats() {
    return { watches: 1, overflows: 0 };
  }
}

function setup(source = new FakeSource()) {
  const clock = new FakeClock(1_000_000);
  const calls: { at: number; replica: string; paths: string[]; done: (r?: Partial<RsyncResult>) => void }[] = [];
  const runRsync = (req: RsyncRequest) =>
    new Promise<RsyncResult>((resolve) => {
      const dest = req.args[req.args.length - 1] ?? '';
      const paths = (req.stdin?.toString('latin1').split('\0').slice(0, -1) ?? []).map((p) => p.replace(/^\.\//, ''));
      calls.push({
        at: clock.now(),
        replica: path.basename(dest),
        paths,
        done: (r = {}) => resolve({ exitCode: 0, stats: { filesTransferred: 1, bytesSent: 1, bytesReceived: 1, transferredBytes: 1, deleted: 0 }, stderrTail: '', durationMs: 1, timedOut: false, aborted: false, ...r }),
      });
    });
  // rsync is the fake here, so no in-process copies (they would do real I/O beside the fake clock).
  const config = resolveConfig({ source: dir, replicas: [{ target: '/replica/a' }, { target: '/replica/b' }], initialSync: false, localCopyMaxBytes: 0 }, 'test', dir);
  const daemon = new Daemon(config, { log: pino({ level: 'silent' }), clock, createSource: () => source, runRsync, renamer: null, statusServer: false });
  const emit = async (...events: Omit<FsEvent, 'time'>[]) => {
    await source.channel.push(events.map((e) => ({ ...e, time: clock.now() })));
    await settle();
  };
  return { clock, daemon, calls, emit };
}

describe('Daemon on a fake clock', () => {
  it('a closed write leaves after the settle time (30 ms), to every replica at once, not before', async () => {
    const { clock, daemon, calls, emit } = setup();
    await daemon.start();
    await emit({ kind: 'create', path: 'f', isDir: false, closed: false }, { kind: 'modify', path: 'f', isDir: false, closed: true });
    await clock.advanceAsync(29);
    expect(calls).toHaveLength(0);
    await clock.advanceAsync(1);
    expect(calls.map((c) => [c.replica, c.at - 1_000_000, c.paths])).toEqual([
      ['a', 30, ['f']],
      ['b', 30, ['f']],
    ]);
    // Lag counts from when the change was complete on the source (its close).
    expect(daemon.status().replicas.map((r) => [r.state, r.lagMs])).toEqual([
      ['syncing', 30],
      ['syncing', 30],
    ]);
    await clock.advanceAsync(40);
    expect(daemon.status().replicas.map((r) => r.lagMs)).toEqual([70, 70]);
    for (const c of calls) c.done();
    await settle();
    await daemon.whenIdle();
    expect(daemon.status().replicas.map((r) => [r.state, r.batches, r.lagMs])).toEqual([
      ['idle', 1, 0],
      ['idle', 1, 0],
    ]);
    await daemon.stop();
  });

  it('a file its writer holds open waits until it has been unchanged for stableFor (1.5 s)', async () => {
    const { clock, daemon, calls, emit } = setup();
    await daemon.start();
    for (let i = 0; i < 10; i++) {
      await emit({ kind: 'modify', path: 'upload.bin', isDir: false, closed: false });
      await clock.advanceAsync(100);
    }
    // last event at +900 ms; due at +900 + 1500.
    await clock.advanceAsync(1499 - 100);
    expect(calls).toHaveLength(0);
    await clock.advanceAsync(1);
    expect(calls.map((c) => c.at - 1_000_000)).toEqual([2400, 2400]);
    expect(daemon.status().settling).toBe(0);
    for (const c of calls) c.done();
    await daemon.stop();
  });

  it('a failed replica retries on the clock while the other goes on', async () => {
    const { clock, daemon, calls, emit } = setup();
    await daemon.start();
    await emit({ kind: 'modify', path: 'x', isDir: false, closed: true });
    await clock.advanceAsync(30);
    calls[0]?.done({ exitCode: 10 }); // a: socket error → backoff ~1 s (±25 %)
    calls[1]?.done();
    await settle();
    expect(daemon.status().replicas.map((r) => r.state)).toEqual(['backoff', 'idle']);
    const next = daemon.status().replicas[0]?.nextAttempt ?? 0;
    expect(next - clock.now()).toBeGreaterThanOrEqual(750);
    expect(next - clock.now()).toBeLessThanOrEqual(1250);
    await clock.advanceAsync(next - clock.now());
    expect(calls).toHaveLength(3);
    expect(calls[2]).toMatchObject({ replica: 'a', paths: ['x'], at: next });
    calls[2]?.done();
    await daemon.stop();
  });

  it('a stop during the start-up walk closes the source, and nothing starts after it', async () => {
    const walking = new FakeSource();
    const { daemon, calls } = setup(walking);
    let closed = false;
    walking.start = () =>
      new Promise<void>((_resolve, reject) => {
        walking.close = async () => {
          closed = true;
          reject(new Error('the source was closed while starting'));
        };
      });
    const started = daemon.start();
    await settle();
    await daemon.stop();
    await expect(started).resolves.toBeUndefined();
    expect(closed).toBe(true);
    expect(daemon.status()).toMatchObject({ ready: false, replicas: [] });
    expect(calls).toEqual([]);
  });
});

