import type { RsyncStats } from './types.js';

/**
 * Reads rsync's `--stats` summary. Pure. Numbers may carry digit separators ("2,000,003",
 * "2.000.003" in some locales) or, when rsyncOptions hold -h, unit suffixes ("2.00M"); both are
 * understood. Lines that are absent count as 0, so an rsync that died early yields zeros.
 */
export function parseStats(output: string): RsyncStats {
  const num = (label: RegExp): number => {
    const m = label.exec(output);
    return m ? parseNumber(m[1]!) : 0;
  };
  return {
    // rsync ≥ 3.1 says "regular files", older ones "files".
    filesTransferred: num(/^Number of (?:regular )?files transferred: ([\d.,KMGTP]+)/m),
    bytesSent: num(/^Total bytes sent: ([\d.,KMGTP]+)/m),
    bytesReceived: num(/^Total bytes received: ([\d.,KMGTP]+)/m),
    transferredBytes: num(/^Total transferred file size: ([\d.,KMGTP]+)/m),
    deleted: num(/^Number of deleted files: ([\d.,KMGTP]+)/m),
  };
}

/** A number as rsync prints it: "1,234", "1.234", "1234", or with -h "1.23K"/"2.00M" (powers of 1000). */
export function parseNumber(text: string): number {
  const unit = /([KMGTP])$/.exec(text);
  if (unit) {
    const scale = 1000 ** ('KMGTP'.indexOf(unit[1]!) + 1);
    const value = Number(text.slice(0, -1).replace(',', '.'));
    return Number.isFinite(value) ? Math.round(value * scale) : 0;
  }
  const n = Number(text.replace(/[.,]/g, ''));
  return Number.isFinite(n) ? n : 0;
}

/**
 * One `--info=progress2` update (rsync separates them with \r):
 * "    2,000,003 100%   90.83MB/s    0:00:00 (xfr#2, to-chk=0/4)". Undefined for other text.
 */
export function parseProgress(line: string): { bytes: number; percent: number } | undefined {
  const m = /^\s*([\d.,]+[KMGTP]?)\s+(\d{1,3})%\s/.exec(line);
  if (!m) return undefined;
  return { bytes: parseNumber(m[1]!), percent: Number(m[2]) };
}
