import { realClock } from '../core/clock.js';
import { defaultStatusSocket } from '../config/errors.js';
import { fetchStatus } from '../observe/status-client.js';
import { formatStatus } from '../observe/status-format.js';
import { EXIT, type Io } from './io.js';

/*
 * `livemirror status`, the part that talks to the daemon and prints — shared by commander's
 * status command (program.ts) and the fast path main.ts takes before loading commander. The fast
 * path loads only this file, io, status-client (node:net), status-format, core/clock and
 * config/errors: about 35 ms above a bare `node -e 0` where commander's path is about 80 ms above
 * it (figures in main.ts and README).
 */

/** The status command's flags in their plain forms. */
export interface StatusArgs {
  socket?: string;
  json: boolean;
}

/**
 * argv after the script: `status`, with `--json` and `--socket PATH` / `--socket=PATH` each at
 * most once in any order, and nothing else. Anything other (-c/--config, --help, unknown flags,
 * positional arguments, a PATH that looks like a flag) is undefined: commander takes it, with
 * its help and its error messages.
 */
export function plainStatusArgs(args: readonly string[]): StatusArgs | undefined {
  if (args[0] !== 'status') return undefined;
  const out: StatusArgs = { json: false };
  for (let i = 1; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--json' && !out.json) {
      out.json = true;
      continue;
    }
    const path = a === '--socket' ? args[++i] : a.startsWith('--socket=') ? a.slice('--socket='.length) : undefined;
    if (path === undefined || path === '' || path.startsWith('-') || out.socket !== undefined) return undefined;
    out.socket = path;
  }
  return out;
}

/** Asks the daemon on `socket` (default: defaultStatusSocket()) and prints; the exit code. */
export async function showStatus(flags: StatusArgs, io: Io): Promise<number> {
  const socket = flags.socket ?? defaultStatusSocket();
  try {
    const s = await fetchStatus(socket);
    io.out(flags.json ? `${JSON.stringify(s, null, 2)}\n` : `${formatStatus(s, realClock.now())}\n`);
    return EXIT.ok;
  } catch (e) {
    io.err(`livemirror: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
}
