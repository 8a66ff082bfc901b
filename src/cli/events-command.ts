import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { excludeMatcher } from '../config/excludes.js';
import type { WatcherName } from '../config/defaults.js';
import type { FsEvent } from '../core/event.js';
import { displayPath } from '../core/path.js';
import { createSelectedSource } from '../watch/select.js';
import { EXIT, type Io } from './io.js';

export interface EventsFlags {
  watcher: WatcherName;
  exclude: string[];
  /** Stop after this many events (for scripts and tests); default: until SIGINT/SIGTERM. */
  count?: number;
  /** bsm-audit only: print what the source would report from this saved BSM trail, then exit. */
  replay?: string;
}

/** One event as the JSON line `livemirror events` prints (paths as UTF-8 text). */
export function eventLine(e: FsEvent): string {
  return JSON.stringify({
    time: new Date(e.time).toISOString(),
    kind: e.kind,
    path: displayPath(e.path),
    ...(e.from !== undefined ? { from: displayPath(e.from) } : {}),
    isDir: e.isDir,
    ...(e.closed !== undefined ? { closed: e.closed } : {}),
    ...(e.pid !== undefined ? { pid: e.pid } : {}),
    ...(e.uid !== undefined ? { uid: e.uid } : {}),
    ...(e.exe !== undefined ? { exe: e.exe } : {}),
  });
}

/**
 * `livemirror events SOURCE`: start the chosen source on SOURCE and print every normalized event
 * as one JSON line, until SIGINT/SIGTERM (or `count` events). The first line on stderr says which
 * source runs and why. Exit 0 on a signal, 1 when the source fails, 2 for a bad directory.
 */
export async function eventsCommand(dir: string, flags: EventsFlags, io: Io): Promise<number> {
  if (flags.replay !== undefined) {
    if (flags.watcher !== 'bsm-audit') {
      io.err(`livemirror: --replay reads a saved BSM audit trail: it needs --watcher bsm-audit (not ${flags.watcher})\n`);
      return EXIT.usage;
    }
    return replayBsm(flags.replay, dir, flags, io);
  }
  let root: string;
  try {
    root = realpathSync(dir);
    if (!statSync(root).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    io.err(`livemirror: ${dir}: cannot watch it: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return EXIT.usage;
  }
  const source = createSelectedSource(flags.watcher, { root, isExcluded: excludeMatcher(flags.exclude) });
  const stop = () => void source.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await source.start();
    io.err(`livemirror: watching ${root} with ${source.choice?.reason ?? flags.watcher}\n`);
    let left = flags.count ?? Infinity;
    for await (const batch of source.events()) {
      for (const e of batch) {
        io.out(eventLine(e) + '\n');
        if (--left <= 0) break;
      }
      if (left <= 0) break;
    }
    return EXIT.ok;
  } catch (e) {
    io.err(`livemirror: ${(e as Error).message}\n`);
    return EXIT.failure;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await source.close();
  }
}

/**
 * `livemirror events --watcher bsm-audit --replay FILE SOURCE`: the events the bsm-audit source
 * would report for the tree SOURCE from a saved trail, stamped with each record's own time.
 * SOURCE is a path string here (audit records name absolute paths); it need not exist on this
 * machine. Exit 0, or 1 when the file cannot be read or holds undecodable bytes (reported on
 * stderr with their offsets, after the events of the records around them).
 */
async function replayBsm(file: string, dir: string, flags: EventsFlags, io: Io): Promise<number> {
  const [{ decodeBsm }, { BsmTranslator }] = await Promise.all([import('../watch/bsm/bsm-decode.js'), import('../watch/bsm/bsm-translate.js')]);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    io.err(`livemirror: ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return EXIT.failure;
  }
  const root = path.resolve(dir);
  const r = decodeBsm(bytes);
  const translator = new BsmTranslator({ root, isExcluded: excludeMatcher(flags.exclude) });
  io.err(`livemirror: replaying ${file} for ${root} as bsm-audit would see it\n`);
  let left = flags.count ?? Infinity;
  for (const e of translator.translate(r.items)) {
    if (left-- <= 0) break;
    io.out(eventLine(e) + '\n');
  }
  for (const e of r.errors) io.err(`livemirror: ${file}: offset ${e.offset}: ${e.message}\n`);
  return r.errors.length > 0 ? EXIT.failure : EXIT.ok;
}
