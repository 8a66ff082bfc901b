/*
 * What every command shares, apart from program.ts so that the status fast path
 * (status-command.ts) uses it without loading commander.
 */

/** Exit codes: 0 ok, 1 runtime failure (or a failed probe), 2 bad usage or config. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Where the CLI prints (tests pass their own). */
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

export const defaultIo: Io = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) };
