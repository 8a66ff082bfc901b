import { realpathSync, statSync } from 'node:fs';
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
