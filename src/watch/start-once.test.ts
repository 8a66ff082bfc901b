import { describe, expect, it } from 'vitest';
import { StartOnce } from './start-once.js';

describe('StartOnce', () => {
  it('runs the first start only; a second call rejects and does not run it', async () => {
    const once = new StartOnce();
    let runs = 0;
    const start = async (): Promise<void> => {
      runs++;
    };
    await once.run(start);
    await expect(once.run(start)).rejects.toThrow('start() may be called once');
    expect(runs).toBe(1);
  });

  it('passes the start’s rejection on, while settled resolves', async () => {
    const once = new StartOnce();
    await expect(once.run(() => Promise.reject(new Error('no')))).rejects.toThrow('no');
    await expect(once.settled).resolves.toBeUndefined();
  });

  it('settled waits for a start in progress, and is resolved when none ran', async () => {
    await expect(new StartOnce().settled).resolves.toBeUndefined();
    const once = new StartOnce();
    let finish: () => void = () => {};
    void once.run(() => new Promise<void>((r) => (finish = r)));
    let done = false;
    void once.settled.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    finish();
    await once.settled;
    expect(done).toBe(true);
  });
});
