/**
 * What rsync's complaints say, line by line. Pure.
 *
 * One class of complaint is not a failure of the replica: the source changed under rsync
 * between its file list and its send (a file vanished, was replaced by a symlink or a directory,
 * a directory was removed). rsync then exits 23 or 24 although the replica is fine; the events
 * for the change that caused it follow. `StderrTally` tells such runs apart from real failures,
 * so that a replica re-queues the paths at once instead of backing off (replica.ts).
 *
 * The lines are rsync 3.x's (verified with 3.5.0 by racing a writer against a list pass):
 *   file has vanished: "/src/d/f2078"
 *   directory has vanished: "/src/d239"
 *   rsync: [sender] send_files failed to open "/src/d/f475": Too many levels of symbolic links (40)
 *   rsync: [sender] readlink_stat("/src/x") failed: No such file or directory (2)
 *   rsync: [sender] readlink_stat("/src/l") failed: Invalid argument (22)   (no longer a symlink)
 *   IO error encountered -- skipping file deletion
 *   rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]
 * Paths are the sender's: the source root joined with the path, with bytes rsync does not print
 * escaped as `\#ooo` (octal).
 */

export type StderrLine =
  /** The source changed under rsync at `path` (absolute, a latin1 byte string). */
  | { kind: 'race'; path: string }
  /** rsync skipped the --delete of directory contents because of an I/O error on the sender. */
  | { kind: 'deletions-skipped' }
  /** The closing summary ("rsync error: ... (code 23)"), an empty line, or ssh's note that the
   *  replica's ssh master did not answer (it then connected directly): says nothing new. */
  | { kind: 'summary' }
  | { kind: 'other' };

/** errno values that mean the path changed type or vanished between list and open. */
const RACE_ERRNOS = new Set([2 /* ENOENT */, 20 /* ENOTDIR */, 21 /* EISDIR */, 40 /* ELOOP */]);

/** readlink(2) on what is no longer a symlink fails with EINVAL. */
const READLINK_RACE_ERRNOS = new Set([...RACE_ERRNOS, 22 /* EINVAL */]);

const RULES: readonly { re: RegExp; errnos?: ReadonlySet<number> }[] = [
  { re: /^(?:file|directory) has vanished: "(.*)"$/ },
  { re: /^rsync: \[sender\] send_files failed to open "(.*)": .* \((\d+)\)$/, errnos: RACE_ERRNOS },
  { re: /^rsync: \[sender\] (?:readlink_stat|readlink)\("(.*)"\) failed: .* \((\d+)\)$/, errnos: READLINK_RACE_ERRNOS },
  { re: /^rsync: \[sender\] (?:link_stat|opendir) "(.*)" failed: .* \((\d+)\)$/, errnos: RACE_ERRNOS },
];

export function classifyStderrLine(raw: string): StderrLine {
  const line = raw.replace(/\r$/, '').trim();
  if (line === '' || /^rsync (?:error|warning): .*\(code \d+\)/.test(line)) return { kind: 'summary' };
  // ssh/ssh-args.ts sharedOptions: a master killed a moment ago left its socket behind.
  if (/^Control socket connect\(.*\): /.test(line)) return { kind: 'summary' };
  if (line === 'IO error encountered -- skipping file deletion') return { kind: 'deletions-skipped' };
  for (const rule of RULES) {
    const m = rule.re.exec(line);
    if (!m) continue;
    if (rule.errnos && !rule.errnos.has(Number(m[2]))) return { kind: 'other' };
    return { kind: 'race', path: unescapeName(m[1] ?? '') };
  }
  return { kind: 'other' };
}

/** rsync prints bytes it deems unprintable as `\#ooo` (3 octal digits); everything else as is. */
export function unescapeName(s: string): string {
  return s.replace(/\\#([0-7]{3})/g, (_, o: string) => String.fromCharCode(Number.parseInt(o, 8) & 0xff));
}

/** What one run's stderr said, tallied line by line (bounded: rsync may complain a lot). */
export interface StderrSummary {
  /** Sender paths that changed under rsync (absolute, latin1), at most `maxPaths`. */
  racePaths: string[];
  /** More race paths were seen than kept. */
  racesTruncated: boolean;
  deletionsSkipped: boolean;
  /** Lines that are neither races nor summaries: a real complaint. */
  other: number;
}

export class StderrTally {
  private pending = '';
  readonly summary: StderrSummary = { racePaths: [], racesTruncated: false, deletionsSkipped: false, other: 0 };

  constructor(private readonly maxPaths = 10_000) {}

  /** Feeds a chunk of stderr, decoded as latin1 (so names keep their bytes). */
  push(chunk: string): void {
    const parts = (this.pending + chunk).split('\n');
    this.pending = parts.pop() ?? '';
    for (const line of parts) this.line(line);
  }

  /** Tallies the last unterminated line; call once at the end. */
  end(): StderrSummary {
    if (this.pending !== '') this.line(this.pending);
    this.pending = '';
    return this.summary;
  }

  private line(text: string): void {
    const c = classifyStderrLine(text);
    const s = this.summary;
    if (c.kind === 'other') s.other++;
    else if (c.kind === 'deletions-skipped') s.deletionsSkipped = true;
    else if (c.kind === 'race') {
      if (s.racePaths.length < this.maxPaths) s.racePaths.push(c.path);
      else s.racesTruncated = true;
    }
  }
}

/**
 * The paths below `root` that a run's complaints name, as RelPaths; undefined unless the run's
 * stderr held nothing but source races (then a retry without backoff is right).
 */
export function sourceRaces(summary: StderrSummary, root: string): string[] | undefined {
  if (summary.other > 0 || summary.racesTruncated || summary.racePaths.length === 0) return undefined;
  const prefix = Buffer.from(root.endsWith('/') ? root : `${root}/`, 'utf8').toString('latin1');
  const out: string[] = [];
  for (const p of summary.racePaths) {
    if (!p.startsWith(prefix)) return undefined;
    out.push(p.slice(prefix.length).replace(/\/+$/, ''));
  }
  return out;
}
