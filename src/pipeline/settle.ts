import type { Change } from '../core/change.js';
import type { SettleRule } from '../core/tunables.js';

/**
 * When a pending change may leave for the replicas. Pure: `now` is an argument.
 *
 * A change is due when it has been quiet for `quietMs` and, if its file is still being written,
 * for `stableForMs`, so a half-uploaded file is never sent as if it were final. A file counts as
 * still being written when its writer has not closed it (inotify tells), or, for sources that
 * cannot tell, when its events span more than one quiet window. `maxHoldMs` bounds the wait for
 * files that never stop changing; `treeHoldMs` the wait for a new directory still being filled.
 * A directory with a file open below it waits until that file has been quiet for `stableForMs`
 * (`openLast`), not until the whole tree is: churn elsewhere below it does not hold it longer.
 */
export function dueAt(c: Change, rule: SettleRule): number {
  const cap = c.first + rule.maxHoldMs;
  const still = c.open && !c.deleted && (!c.closeUnknown || c.last - c.first >= rule.quietMs);
  if (c.recursive) {
    // A directory being filled (cp -r, an unpacking archive, an upload session) is not held until
    // the filling pauses: it leaves after treeHoldMs at the latest, once its open files are stable.
    const filled = Math.min(c.last + rule.quietMs, Math.max(c.first + rule.treeHoldMs, c.last));
    return Math.min(still ? Math.max(filled, (c.openLast ?? c.last) + rule.stableForMs) : filled, cap);
  }
  return Math.min(c.last + (still ? rule.stableForMs : rule.quietMs), cap);
}

export function isDue(c: Change, now: number, rule: SettleRule): boolean {
  return dueAt(c, rule) <= now;
}

/** The earliest time any of `changes` becomes due, or undefined when there are none. */
export function nextDue(changes: Iterable<Change>, rule: SettleRule): number | undefined {
  let t: number | undefined;
  for (const c of changes) {
    const d = dueAt(c, rule);
    if (t === undefined || d < t) t = d;
  }
  return t;
}
