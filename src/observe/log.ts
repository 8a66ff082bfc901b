import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';

// pino-pretty (and its date and colour packages) only when a person reads the log: a daemon
// logging JSON does not carry them (a few MiB of RSS, bench `bigtree`).
const loadPretty = () => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

export type { Logger } from 'pino';

export interface LogOptions {
  level: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  /** auto: readable lines on a TTY, JSON otherwise (systemd, files, pipes). */
  format: 'auto' | 'json' | 'pretty';
  /** Defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

/** The daemon's logger: pino, one JSON object per line unless a person is watching. */
export function createLogger(opts: LogOptions): Logger {
  const out = opts.destination ?? process.stdout;
  const isTty = (out as NodeJS.WriteStream).isTTY === true;
  const readable = opts.format === 'pretty' || (opts.format === 'auto' && isTty);
  const base = { level: opts.level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime };
  if (!readable) return pino(base, opts.destination ?? pino.destination({ dest: 1, sync: true }));
  return pino(base, loadPretty()({
    destination: out,
    colorize: isTty,
    sync: true,
    // For a person: the message says it all; the fields stay in the JSON format.
    hideObject: true,
    ignore: 'pid,hostname',
    messageFormat: '{if replica}{replica}: {end}{msg}',
    translateTime: 'HH:MM:ss.l',
  }));
}
