import { readFileSync } from 'node:fs';

/**
 * The inotify sysctls and the messages that tell an operator how to raise them.
 * Message builders are pure; `readInotifyLimit` reads /proc.
 */
export type InotifyLimit = 'max_user_watches' | 'max_user_instances' | 'max_queued_events';

export function readInotifyLimit(
  name: InotifyLimit,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): number | undefined {
  try {
    const n = Number.parseInt(readFile(`/proc/sys/fs/inotify/${name}`).trim(), 10);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** A value worth setting: twice what is needed, a power of two, at least the common 524288. */
export function suggestedLimit(needed: number): number {
  let n = 524288;
  while (n < needed * 2) n *= 2;
  return n;
}

export interface WatchLimitFacts {
  root: string;
  /** Current fs.inotify.max_user_watches (undefined when /proc could not be read). */
  limit: number | undefined;
  /** Directories (root included, excluded ones not) that need a watch; undefined if not counted. */
  needed: number | undefined;
  /** Where the limit was hit (display form). */
  at?: string;
}

export function watchLimitMessage(f: WatchLimitFacts): string {
  const fix = suggestedLimit(Math.max(f.needed ?? 0, f.limit ?? 0));
  const limit = f.limit === undefined ? 'unknown (could not read /proc/sys/fs/inotify/max_user_watches)' : String(f.limit);
  const needed =
    f.needed === undefined ? 'an unknown number of' : `${f.needed} (the root and every directory below it that is not excluded)`;
  return (
    `inotify watch limit reached while watching ${f.root}${f.at === undefined ? '' : ` (at ${f.at})`}: ` +
    `fs.inotify.max_user_watches is ${limit}, and this tree needs ${needed} directory watches, ` +
    `plus the watches other programs of the same user hold. ` +
    `Fix: run \`sysctl fs.inotify.max_user_watches=${fix}\` and make it permanent with ` +
    `\`echo fs.inotify.max_user_watches=${fix} > /etc/sysctl.d/90-livemirror.conf\` ` +
    `(each watch costs about 1 KiB of kernel memory), or exclude directories that need no replication.`
  );
}

export function instanceLimitMessage(limit: number | undefined): string {
  const fix = Math.max(1024, (limit ?? 0) * 2);
  return (
    `too many inotify instances: fs.inotify.max_user_instances is ${limit ?? 'unknown'} ` +
    `and this user already holds that many (every watching program and each livemirror source holds one). ` +
    `Fix: run \`sysctl fs.inotify.max_user_instances=${fix}\` and make it permanent with ` +
    `\`echo fs.inotify.max_user_instances=${fix} > /etc/sysctl.d/90-livemirror.conf\`.`
  );
}
