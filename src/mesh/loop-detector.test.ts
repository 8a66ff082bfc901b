import { describe, expect, it } from 'vitest';
import { LoopDetector } from './loop-detector.js';
import type { PathState } from './record.js';

const v = (size: number): PathState => ({ type: 'file', size, mtimeNs: '1', mode: 0o644 });

describe('LoopDetector', () => {
  it('counts sending what was just received as a bounce; a new version is none', () => {
    const d = new LoopDetector({ windowMs: 60_000, threshold: 3, maxHoldMs: 60_000 });
    d.noteReceived('a', v(1), 0);
    expect(d.noteSending('a', v(1), 10)).toBe(true);
    expect(d.noteSending('a', v(2), 20)).toBe(false);
    expect(d.noteSending('b', v(1), 30)).toBe(false);
    expect(d.noteSending('a', v(1), 60_001)).toBe(false); // outside the window
    expect(d.bounceCount).toBe(1);
  });

  it('damps a path past the threshold with a growing, capped hold', () => {
    const d = new LoopDetector({ windowMs: 60_000, threshold: 3, maxHoldMs: 8000 });
    for (let i = 0; i < 6; i++) {
      d.noteReceived('p', v(i), i * 100);
      d.noteSending('p', v(i), i * 100 + 1);
    }
    expect(d.damped(700)).toEqual(['p']);
    expect(d.holdMs('p', 700)).toBe(8000); // 1000·2^(6-3) = 8000, the cap
    expect(d.holdMs('q', 700)).toBe(0);
    expect(d.damped(70_000)).toEqual([]);
  });

  it('knows a version exactly as a peer delivered it (state and vector), not one merged here since', () => {
    const d = new LoopDetector({ windowMs: 60_000, threshold: 3, maxHoldMs: 60_000 });
    d.noteReceived('a', v(1), 0, { n1: 2, n2: 1 });
    d.noteReceived('b', v(1), 0); // an informational manifest: no vector, never "exactly received"
    expect(d.wasReceived('a', v(1), { n2: 1, n1: 2 }, 10)).toBe(true);
    expect(d.wasReceived('a', v(1), { n1: 2, n2: 2 }, 10)).toBe(false); // merged after a conflict: carries this node's count
    expect(d.wasReceived('a', v(2), { n1: 2, n2: 1 }, 10)).toBe(false);
    expect(d.wasReceived('a', undefined, { n1: 2, n2: 1 }, 10)).toBe(false);
    expect(d.wasReceived('b', v(1), {}, 10)).toBe(false);
    expect(d.wasReceived('a', v(1), { n1: 2, n2: 1 }, 60_001)).toBe(false); // outside the window
    expect(d.bounceCount).toBe(0); // asking is not sending
  });
});
