import { lstatSync } from 'node:fs';

/**
 * Whether a path just created may still be held by its writer, so its close is to come: a
 * regular file with one link. A symlink, a hard link (a second name of a complete file), a
 * device, a fifo, or a path already gone (its delete follows) is complete as it stands. Sources
 * that see closes (inotify, fanotify) report a create open only when this holds: one reported
 * open whose close never comes holds the new directory above it for `stableFor`.
 */
export function awaitsClose(abs: Buffer): boolean {
  const st = lstatSync(abs, { throwIfNoEntry: false });
  return st !== undefined && st.isFile() && st.nlink === 1;
}
