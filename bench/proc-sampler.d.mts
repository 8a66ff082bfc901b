/** Types of proc-sampler.mjs (the /proc scan that counts rsync processes); see its header. */

export interface ProcStat {
  readonly comm: string;
  readonly ppid: number;
  /** Start time in clock ticks after boot (field 22). */
  readonly start: number;
}

export function parseStat(text: string): ProcStat | undefined;
export function descendsFrom(table: ReadonlyMap<number, { readonly ppid: number }>, pid: number, root: number): boolean;
export function rsyncIn(table: ReadonlyMap<number, ProcStat>, root: number): { processes: string[]; invocations: string[] };

/** What the worker posts when stopped. */
export interface ProcSamplerCounts {
  readonly kind: 'counts';
  /** rsync processes whose parent is not rsync: one per rsync command run. */
  readonly invocations: number;
  /** All rsync processes (a local rsync is three). */
  readonly processes: number;
  readonly scans: number;
  /** The longest time between two scans (ms): larger than the interval when the machine is busy. */
  readonly maxGapMs: number;
}
