import { describe, expect, it } from 'vitest';
import { parseNumber, parseProgress, parseStats } from './rsync-stats.js';

const STATS_31 = `
Number of files: 4 (reg: 3, dir: 1)
Number of created files: 3 (reg: 2, dir: 1)
Number of deleted files: 2 (reg: 1, dir: 1)
Number of regular files transferred: 2
Total file size: 2,000,003 bytes
Total transferred file size: 2,000,003 bytes
Literal data: 2,000,003 bytes
Matched data: 0 bytes
File list size: 0
File list generation time: 0.001 seconds
File list transfer time: 0.000 seconds
Total bytes sent: 2,000,673
Total bytes received: 64

sent 2,000,673 bytes  received 64 bytes  4,001,474.00 bytes/sec
total size is 2,000,003  speedup is 1.00
`;

const STATS_30 = `
Number of files: 12
Number of files transferred: 5
Total file size: 1234 bytes
Total transferred file size: 1000 bytes
Total bytes sent: 1500
Total bytes received: 90
`;

const STATS_H = `
Number of regular files transferred: 1
Total transferred file size: 2.00M bytes
Total bytes sent: 2.00M
Total bytes received: 65
`;

describe('parseStats', () => {
  it.each([
    ['rsync 3.1+ with separators', STATS_31, { filesTransferred: 2, bytesSent: 2_000_673, bytesReceived: 64, transferredBytes: 2_000_003, deleted: 2 }],
    ['rsync 3.0 wording', STATS_30, { filesTransferred: 5, bytesSent: 1500, bytesReceived: 90, transferredBytes: 1000, deleted: 0 }],
    ['human-readable (-h)', STATS_H, { filesTransferred: 1, bytesSent: 2_000_000, bytesReceived: 65, transferredBytes: 2_000_000, deleted: 0 }],
    ['nothing printed', 'rsync: connection unexpectedly closed', { filesTransferred: 0, bytesSent: 0, bytesReceived: 0, transferredBytes: 0, deleted: 0 }],
  ])('%s', (_name, text, want) => expect(parseStats(text)).toEqual(want));
});

describe('parseNumber', () => {
  it.each([
    ['0', 0],
    ['1234', 1234],
    ['1,234,567', 1_234_567],
    ['1.234.567', 1_234_567],
    ['1.5K', 1500],
    ['2.00M', 2_000_000],
    ['1,5G', 1_500_000_000],
    ['x', 0],
  ])('%s → %i', (text, want) => expect(parseNumber(text)).toBe(want));
});

describe('parseProgress', () => {
  it.each([
    ['      2,000,003 100%   90.83MB/s    0:00:00 (xfr#2, to-chk=0/4)', { bytes: 2_000_003, percent: 100 }],
    ['              0   0%    0.00kB/s    0:00:00  ', { bytes: 0, percent: 0 }],
    ['    1.23G  45%   10.00MB/s    0:01:40', { bytes: 1_230_000_000, percent: 45 }],
    ['Number of files: 4', undefined],
    ['', undefined],
  ])('%j', (line, want) => expect(parseProgress(line)).toEqual(want));
});
