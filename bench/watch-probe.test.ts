import { describe, expect, it } from 'vitest';
import { countWatches, cpuTicks } from './watch-probe.js';

describe('watch probe parsing', () => {
  it('reads utime + stime after a command name with spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 123 45 0 0 20 0 11 0 100 1000000 20000';
    expect(cpuTicks(stat)).toBe(168);
  });

  it('counts the inotify watch lines of an fdinfo file', () => {
    const text = 'pos:\t0\nflags:\t02004000\nmnt_id:\t15\nino:\t1057\ninotify wd:2 ino:1 sdev:2 mask:fc6 ignored_mask:0\ninotify wd:1 ino:2 sdev:2 mask:fc6 ignored_mask:0\n';
    expect(countWatches(text)).toBe(2);
    expect(countWatches('pos:\t0\nflags:\t02\n')).toBe(0);
  });
});
