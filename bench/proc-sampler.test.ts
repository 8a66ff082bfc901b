import { describe, expect, it } from 'vitest';
import { descendsFrom, parseStat, rsyncIn, type ProcStat } from './proc-sampler.mjs';

// A line of /proc/PID/stat: pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt
// majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue starttime ...
const statLine = (pid: number, comm: string, ppid: number, start: number) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 ${start} 12345 67 18446744073709551615`;

describe('parseStat', () => {
  it('reads comm, ppid and the start time', () => expect(parseStat(statLine(42, 'rsync', 7, 9001))).toEqual({ comm: 'rsync', ppid: 7, start: 9001 }));
  it('takes a command name with spaces and parentheses whole', () => expect(parseStat(statLine(5, 'a) b (c', 1, 3))?.comm).toBe('a) b (c'));
  it('is undefined for text it cannot read', () => {
    expect(parseStat('')).toBeUndefined();
    expect(parseStat('12 (x) S')).toBeUndefined();
  });
});

describe('rsyncIn', () => {
  const table = new Map<number, ProcStat>([
    [1, { comm: 'systemd', ppid: 0, start: 1 }],
    [100, { comm: 'node', ppid: 1, start: 10 }], // the benchmark (root)
    [200, { comm: 'node', ppid: 100, start: 20 }], // the daemon
    [300, { comm: 'rsync', ppid: 200, start: 30 }], // an invocation …
    [301, { comm: 'rsync', ppid: 300, start: 31 }], // … its receiver
    [302, { comm: 'rsync', ppid: 301, start: 32 }], // … and generator
    [400, { comm: 'rsync', ppid: 100, start: 40 }], // one the benchmark runs itself (rsync-loop)
    [500, { comm: 'rsync', ppid: 1, start: 50 }], // someone else's
  ]);
  it('counts one invocation per rsync command and every process, below the root only', () => {
    expect(rsyncIn(table, 100)).toEqual({ processes: ['300:30', '301:31', '302:32', '400:40'], invocations: ['300:30', '400:40'] });
  });
  it('descendsFrom follows parents and stops at unknown ones', () => {
    expect(descendsFrom(table, 302, 100)).toBe(true);
    expect(descendsFrom(table, 500, 100)).toBe(false);
    expect(descendsFrom(table, 999, 100)).toBe(false);
  });
  it('a parent loop cannot hang it', () => {
    const loop = new Map([
      [2, { ppid: 3 }],
      [3, { ppid: 2 }],
    ]);
    expect(descendsFrom(loop, 2, 100)).toBe(false);
  });
});
