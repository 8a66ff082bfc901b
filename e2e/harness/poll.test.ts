import { describe, expect, it } from 'vitest';
import { poll } from './poll.js';

/** A fake clock: sleeping advances it; every attempt costs `cost` ms. */
function fakeTime(cost = 0) {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
    tick: () => {
      t += cost;
    },
    sleeps,
  };
}

describe('poll', () => {
  it('returns on the first success', async () => {
    const f = fakeTime();
    let n = 0;
    const r = await poll(async () => ({ done: ++n === 3, value: n }), { deadlineMs: 1000, now: f.now, sleep: f.sleep });
    expect(r).toMatchObject({ ok: true, value: 3, attempts: 3 });
    expect(f.sleeps).toEqual([5, 7.5]);
  });

  it('stops at the deadline and never sleeps past it', async () => {
    const f = fakeTime();
    const r = await poll(async () => ({ done: false, value: 'x' }), {
      deadlineMs: 100,
      now: f.now,
      sleep: f.sleep,
      maxIntervalMs: 40,
    });
    expect(r.ok).toBe(false);
    expect(f.now()).toBe(100);
    expect(Math.max(...f.sleeps)).toBeLessThanOrEqual(40);
  });

  it('stops after maxAttempts', async () => {
    const f = fakeTime();
    let n = 0;
    const r = await poll(async () => ({ done: false, value: ++n }), {
      deadlineMs: 1e9,
      maxAttempts: 4,
      now: f.now,
      sleep: f.sleep,
    });
    expect(r).toMatchObject({ ok: false, last: 4, attempts: 4 });
  });

  it('counts time spent in attempts against the deadline', async () => {
    const f = fakeTime(60);
    const r = await poll(
      async () => {
        f.tick();
        return { done: false, value: 0 };
      },
      { deadlineMs: 100, now: f.now, sleep: f.sleep },
    );
    expect(r.ok).toBe(false);
    expect(r.attempts).toBe(2);
  });
});
