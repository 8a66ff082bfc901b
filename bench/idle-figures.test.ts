import { describe, expect, it } from 'vitest';
import { idleFigures, switchesOfStatus, ticksOfStat } from './idle-figures.js';

describe('idle figures from /proc', () => {
  it('reads utime + stime from a stat line whose command holds spaces and parentheses', () => {
    const stat = '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 9000 0 3 0 150 37 0 0 20 0 11 0 5000 1000000 20000';
    expect(ticksOfStat(stat)).toBe(187);
  });
  it('sums voluntary and nonvoluntary switches of a status text', () => {
    expect(switchesOfStatus('Name:\tnode\nvoluntary_ctxt_switches:\t120\nnonvoluntary_ctxt_switches:\t7\n')).toBe(127);
  });
  it('turns two snapshots into a share of one CPU and a rate', () => {
    const f = idleFigures({ ticks: 100, switches: 50, at: 1000 }, { ticks: 103, switches: 110, at: 61_000 }, 100);
    expect(f.windowMs).toBe(60_000);
    expect(f.cpuPercent).toBeCloseTo(0.05, 10);
    expect(f.switchesPerSecond).toBe(1);
  });
});
