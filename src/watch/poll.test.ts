import { describe, expect, it } from 'vitest';
import { FakeClock, settle } from '../../test/support/fake-clock.js';
import type { FsEvent } from '../core/event.js';
import type { PollEntry, Snapshot } from './poll-diff.js';
import type { ScanOptions, ScanResult } from './poll-scan.js';
import { createPollSource } from './poll.js';
import { WatchError } from './source.js';

const dir = (ino: number): PollEntry => ({ dev: 1, ino: BigInt(ino), mode: 0o040755, uid: 0, gid: 0, size: 0, mtimeNs: 0n, ctimeNs: 0n, btimeNs: 0n });
const file = (ino: number, size = 0): PollEntry => ({ dev: 1, ino: BigInt(ino), mode: 0o100644, uid: 0, gid: 0, size, mtimeNs: BigInt(size), ctimeNs: 0n, btimeNs: 0n });
const tree = (entries: Record<string, PollEntry>, root = dir(1)): ScanResult => ({ snapshot: new Map([['', root], ...Object.entries(entries)]) as Snapshot, dirs: 1 });

/** A scan whose every call waits until the test answers it. */
class FakeScan {
  readonly calls: Array<{ o: ScanOptions; answer: (r: ScanResult | Error) => void }> = [];
  scan = (o: ScanOptions): Promise<ScanResult> =>
    new Promise((resolve, reject) => this.calls.push({ o, answer: (r) => (r instanceof Error ? reject(r) : resolve(r)) }));
  answer(r: ScanResult | Error): void {
    const call = this.calls[this.calls.length - 1];
    if (!call) throw new Error('no scan is running');
    call.answer(r);
  }
}

function reader(source: { events(): AsyncIterable<FsEvent[]> }): { batches: FsEvent[][]; error?: unknown; ended: boolean } {
  const r: { batches: FsEvent[][]; error?: unknown; ended: boolean } = { batches: [], ended: false };
  void (async () => {
    try {
      for await (const b of source.events()) r.batches.push(b);
    } catch (e) {
      r.error = e;
    }
    r.ended = true;
  })();
  return r;
}

async function started(o: { intervalMs?: number; maxBatchEvents?: number } = {}) {
  const clock = new FakeClock(1000);
  const fake = new FakeScan();
  const source = createPollSource({ root: '/nowhere', isExcluded: () => false, clock, scan: fake.scan, intervalMs: 100, ...o });
  const start = source.start();
  await settle();
  expect(fake.calls.length).toBe(1); // start() takes the first snapshot...
  fake.answer(tree({ a: file(2) }));
  await start; // ...and resolves with it
  return { clock, fake, source, r: reader(source) };
}

describe('poll source (fake clock, fake scan)', () => {
  it('starts a pass every intervalMs and emits the differences, stamped with the clock', async () => {
    const { clock, fake, r, source } = await started();
    await clock.advanceAsync(99);
    expect(fake.calls.length).toBe(1);
    await clock.advanceAsync(1);
    expect(fake.calls.length).toBe(2);
    fake.answer(tree({ a: file(2, 5), b: file(3) }));
    await settle();
    expect(r.batches).toEqual([
      [
        { kind: 'create', path: 'b', isDir: false, time: 1100 },
        { kind: 'modify', path: 'a', isDir: false, time: 1100 },
      ],
    ]);
    await clock.advanceAsync(100);
    expect(fake.calls.length).toBe(3);
    fake.answer(tree({ a: file(2, 5), b: file(3) }));
    await settle();
    expect(r.batches.length).toBe(1); // nothing changed: no empty batch
    await source.close();
  });

  it('never overlaps passes: a pass longer than the interval is followed at once', async () => {
    const { clock, fake, source } = await started();
    await clock.advanceAsync(100);
    expect(fake.calls.length).toBe(2);
    await clock.advanceAsync(350); // the second pass is still walking
    expect(fake.calls.length).toBe(2);
    expect(clock.armed).toBe(0);
    fake.answer(tree({ a: file(2) }));
    await settle();
    await clock.advanceAsync(0);
    expect(fake.calls.length).toBe(3); // overdue: at once, not 100 ms later
    const closed = source.close();
    fake.answer(new WatchError('the source was closed', 'CLOSED')); // what the walk's abort() does
    await closed;
  });

  it('splits a big difference into batches of maxBatchEvents', async () => {
    const { clock, fake, r, source } = await started({ maxBatchEvents: 2 });
    await clock.advanceAsync(100);
    fake.answer(tree({ a: file(2), x: file(10), y: file(11), z: file(12) }));
    await settle();
    expect(r.batches.map((b) => b.map((e) => e.path))).toEqual([['x', 'y'], ['z']]);
    await source.close();
  });

  it('the root replaced by another directory → the iterator throws ROOT_GONE after what came before', async () => {
    const { clock, fake, r } = await started();
    await clock.advanceAsync(100);
    fake.answer(tree({ a: file(2), b: file(3) }));
    await settle();
    await clock.advanceAsync(100);
    expect(fake.calls.length).toBe(3);
    fake.answer(tree({}, dir(99)));
    await settle();
    expect(r.batches.length).toBe(1);
    expect(r.ended).toBe(true);
    expect(r.error).toBeInstanceOf(WatchError);
    expect((r.error as WatchError).code).toBe('ROOT_GONE');
    expect(clock.armed).toBe(0); // and no further pass
  });

  it('a failing pass (EIO) is thrown from the iterator', async () => {
    const { clock, fake, r } = await started();
    await clock.advanceAsync(100);
    fake.answer(new WatchError('cannot scan /nowhere/d: EIO', 'EIO'));
    await settle();
    expect((r.error as WatchError).code).toBe('EIO');
  });

  it('close() is idempotent, stops the timer, ends the iterator and aborts a pass in progress', async () => {
    const { clock, fake, r, source } = await started();
    expect(clock.armed).toBe(1);
    await source.close();
    await source.close();
    await settle();
    expect(clock.armed).toBe(0);
    expect(r.ended).toBe(true);
    expect(r.error).toBeUndefined();
    await clock.advanceAsync(1000);
    expect(fake.calls.length).toBe(1);

    const second = await started();
    await second.clock.advanceAsync(100);
    const walking = second.fake.calls[1] as { o: ScanOptions };
    expect(walking.o.abort?.()).toBeUndefined();
    const closed = second.source.close();
    expect(walking.o.abort?.()).toBeInstanceOf(WatchError); // the walk stops at its next slice
    second.fake.answer(walking.o.abort?.() as Error);
    await closed;
    expect(second.r.error).toBeUndefined();
    expect(second.clock.armed).toBe(0);
  });

  it('start() rejects with what the first scan threw, and close() before start() makes start() reject', async () => {
    const fake = new FakeScan();
    const source = createPollSource({ root: '/nowhere', isExcluded: () => false, clock: new FakeClock(), scan: fake.scan });
    const start = source.start();
    await settle();
    fake.answer(new WatchError('gone', 'ROOT_GONE'));
    await expect(start).rejects.toMatchObject({ code: 'ROOT_GONE' });

    const early = createPollSource({ root: '/nowhere', isExcluded: () => false, clock: new FakeClock(), scan: fake.scan });
    await early.close();
    await expect(early.start()).rejects.toMatchObject({ code: 'CLOSED' });
  });
});
