import { describe, expect, it } from 'vitest';
import { BatchChannel } from './batch-channel.js';

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('BatchChannel', () => {
  it('delivers in order and ends after end()', async () => {
    const ch = new BatchChannel<number>(10);
    await ch.push(1);
    await ch.push(2);
    ch.end();
    await ch.push(3); // dropped after end
    expect(await collect(ch.iterable())).toEqual([1, 2]);
  });

  it('drains queued items, then throws the failure', async () => {
    const ch = new BatchChannel<number>(10);
    await ch.push(1);
    ch.fail(new Error('boom'));
    const it = ch.iterable()[Symbol.asyncIterator]();
    expect(await it.next()).toEqual({ value: 1, done: false });
    await expect(it.next()).rejects.toThrow('boom');
    expect(await it.next()).toEqual({ value: undefined, done: true });
  });

  it('holds the producer back while the queue is full', async () => {
    const ch = new BatchChannel<number>(2);
    await ch.push(1);
    let pushed = false;
    const p = ch.push(2).then(() => (pushed = true));
    await Promise.resolve();
    expect(pushed).toBe(false);
    const it = ch.iterable()[Symbol.asyncIterator]();
    await it.next();
    await p;
    expect(pushed).toBe(true);
  });

  it('wakes a waiting reader', async () => {
    const ch = new BatchChannel<string>(4);
    const next = ch.iterable()[Symbol.asyncIterator]().next();
    await ch.push('x');
    expect(await next).toEqual({ value: 'x', done: false });
  });

  it('has one reader', () => {
    const ch = new BatchChannel<number>(1);
    ch.iterable();
    expect(() => ch.iterable()).toThrow(/one reader/);
  });
});
