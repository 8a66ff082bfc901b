import { IN_MOVED_FROM, IN_MOVED_TO, type InotifyRecord } from './sys/inotify-event.js';

/**
 * Rename pairing for inotify (pure). The kernel queues IN_MOVED_FROM and IN_MOVED_TO of one
 * rename with the same cookie, FROM first; a half without its partner means the other side is
 * outside the watched tree (or in an unwatched, excluded directory).
 */

/** Index of each IN_MOVED_FROM → index of its IN_MOVED_TO (the first later one with the same cookie). */
export function pairMoves(records: readonly InotifyRecord[]): Map<number, number> {
  const pairs = new Map<number, number>();
  const open = new Map<number, number>(); // cookie → index of an unpaired MOVED_FROM
  records.forEach((r, i) => {
    if ((r.mask & IN_MOVED_FROM) !== 0) {
      open.set(r.cookie, i);
    } else if ((r.mask & IN_MOVED_TO) !== 0) {
      const from = open.get(r.cookie);
      if (from !== undefined) {
        pairs.set(from, i);
        open.delete(r.cookie);
      }
    }
  });
  return pairs;
}

/** True when some IN_MOVED_FROM has no IN_MOVED_TO yet: worth waiting a few ms for the next read. */
export function hasUnpairedMoveFrom(records: readonly InotifyRecord[]): boolean {
  const cookies = new Set<number>();
  for (const r of records) {
    if ((r.mask & IN_MOVED_FROM) !== 0) cookies.add(r.cookie);
    else if ((r.mask & IN_MOVED_TO) !== 0) cookies.delete(r.cookie);
  }
  return cookies.size > 0;
}
