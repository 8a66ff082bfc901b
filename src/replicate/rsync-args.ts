import type { RelPath } from '../core/path.js';
import { MESH_DIR } from '../core/mesh-layout.js';
import { hostForUrl } from '../core/target.js';
import type { RsyncPass } from './types.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { ReplicaTunables } from '../core/tunables.js';
import { sharedOptions, sshOptions } from './ssh/ssh-args.js';

/**
 * The argv of every rsync a replica runs. Pure: no fs, no child_process.
 *
 * The passes (batch-run.ts decides which a batch needs; most need only `tree`):
 *  - `tree`    the batch's main run: `-r --delete` over the listed paths — a listed directory is
 *              synced with its whole subtree (deleting what the source lacks inside it), a listed
 *              file is just that file, and a listed path gone from the source is deleted
 *              (--delete-missing-args). New trees, written files and deleted paths go together;
 *  - `files`   non-recursive: directories whose own attributes changed (a recursive pass would
 *              walk their whole subtree);
 *  - `deletes` the batch's deletions in a run after `tree`, only when `tree` runs with --fuzzy
 *              (renames not replayed), so a renamed file's old copy can serve as its delta basis;
 *  - `full`    the whole tree, `--delete`, with the excludes (initial sync, resync).
 * List passes read the paths from stdin (`--files-from=- --from0`, see `fileList`), never from
 * the command line; `--files-from` implies -R, so each path lands at the same relative place
 * below the destination. `-s` (--secluded-args, called --protect-args before rsync 3.2.6; the
 * short name works with every rsync since 3.0) sends the destination path and options through
 * the rsync protocol, so the remote shell sees neither file names nor paths.
 */
export interface ArgsInput {
  spec: ReplicaSpec;
  tunables: Pick<ReplicaTunables, 'ioTimeoutS' | 'connectTimeoutS'>;
  /** Absolute path of the source tree. */
  root: string;
  /** rsync exclude patterns (tree and full passes; the pipeline already filtered listed paths). */
  excludes: readonly string[];
  /** Tree and files passes: look for a similar file in the destination dir as delta basis (--fuzzy),
   *  for replicas that did not replay the batch's renames. */
  fuzzy?: boolean;
  /** Full pass only: print overall progress (--info=progress2) for the progress log. */
  progress?: boolean;
  /** ssh targets: the socket of the replica's ssh master (ssh/master.ts); rsync's ssh runs its
   *  session over that connection, or connects directly when no master answers there. */
  controlPath?: string;
}

/** The options every list pass needs (documented in the module comment). */
const LIST = ['--from0', '--files-from=-', '--delete-missing-args', '--force'] as const;

export function rsyncArgs(pass: RsyncPass, input: ArgsInput): string[] {
  const { spec, excludes } = input;
  const common = ['-a', ...spec.rsyncOptions, ...fixedOptions(input)];
  const ends = [sourceArg(input.root), destinationArg(spec)];
  const excl = excludes.map((p) => `--exclude=${p}`);
  switch (pass) {
    case 'files':
      return [...common, ...LIST, ...(input.fuzzy ? ['--fuzzy'] : []), ...ends];
    case 'deletes':
      return [...common, ...LIST, ...ends];
    case 'tree':
      return [...common, '-r', '--delete', ...LIST, ...(input.fuzzy ? ['--fuzzy'] : []), ...excl, ...ends];
    case 'full':
      return [...common, '--delete', '--force', ...excl, ...(input.progress ? ['--info=progress2'] : []), ...ends];
  }
}

/**
 * A mesh peer's data run (mesh/push.ts): the listed paths (or with `full` the whole tree), into
 * the peer's `.livemirror/stage/<stageId>/`, each compared with the peer's live file first
 * (`--compare-dest`, relative to the stage directory: three levels up is the tree): identical
 * files are not staged at all, others travel as a delta against it. Nothing is deleted; a
 * listed path gone from the source is skipped (its deletion travels in the manifest).
 */
export function stageArgs(input: ArgsInput & { stageId: string; full: boolean }): string[] {
  const { spec } = input;
  // --omit-dir-times: the stage directory keeps the time it was made, not the source root's
  // (which may be months old), so the receiver's sweep of abandoned stages never takes one in use.
  const common = ['-a', ...spec.rsyncOptions, ...fixedOptions(input), '--omit-dir-times', '--compare-dest=../../..'];
  const dest = `${destinationArg(spec)}${MESH_DIR}/stage/${input.stageId}/`;
  if (input.full) return [...common, `--exclude=/${MESH_DIR}/`, ...input.excludes.map((p) => `--exclude=${p}`), sourceArg(input.root), dest];
  return [...common, '--from0', '--files-from=-', '--ignore-missing-args', sourceArg(input.root), dest];
}

/** Sends one local file (a manifest) into the peer's `.livemirror/inbox/` (atomic: rsync renames its temp file). */
export function deliverArgs(input: ArgsInput & { file: string }): string[] {
  return ['-a', ...fixedOptions(input), input.file, `${destinationArg(input.spec)}${MESH_DIR}/inbox/`];
}

/** Fetches the peer's `.livemirror/node.json` (its name and id) into local directory `into`. */
export function identityArgs(input: ArgsInput & { into: string }): string[] {
  return [...fixedOptions(input), `${destinationArg(input.spec)}${MESH_DIR}/node.json`, input.into.endsWith('/') ? input.into : `${input.into}/`];
}

/**
 * `livemirror check`: list only the destination directory itself (`--exclude=*` keeps its
 * entries out), which proves the replica is reachable, accepts our credentials and runs rsync,
 * and changes nothing.
 */
export function listOnlyArgs(input: ArgsInput): string[] {
  return [...fixedOptions(input).filter((a) => a !== '--stats'), '--list-only', '--exclude=*', destinationArg(input.spec)];
}

/** livemirror's own options, after the user's so that they win. */
function fixedOptions(input: ArgsInput): string[] {
  const { spec, tunables } = input;
  // --modify-window=-1: rsync's quick check compares whole seconds by default, so a file
  // rewritten at the same size within the second of its last transfer was skipped (found by the
  // faults scenario: same size and mtime, different content). -1 compares nanoseconds.
  const out = ['-s', `--timeout=${tunables.ioTimeoutS}`, '--modify-window=-1', '--stats'];
  const t = spec.target;
  if (t.kind === 'ssh') {
    out.push('-e', sshCommand(spec, tunables.connectTimeoutS, input.controlPath));
    if (spec.remoteRsyncPath !== undefined) out.push(`--rsync-path=${spec.remoteRsyncPath}`);
  }
  if (t.kind === 'daemon') {
    // rsync's daemon protocol makes many small round trips; with Nagle and delayed ACKs each
    // can stall ~40 ms. Measured here: 172 ms → 52 ms per one-file rsync to a local daemon.
    out.push(`--contimeout=${tunables.connectTimeoutS}`, '--sockopts=TCP_NODELAY');
    if (spec.passwordFile !== undefined) out.push(`--password-file=${spec.passwordFile}`);
  }
  return out;
}

/** `ROOT/`: the contents of the source root (a trailing slash, as rsync wants it). */
export function sourceArg(root: string): string {
  return root.endsWith('/') ? root : `${root}/`;
}

/** The destination in rsync's syntax for the target kind, with a trailing slash. */
export function destinationArg(spec: ReplicaSpec): string {
  const t = spec.target;
  switch (t.kind) {
    case 'local': {
      const p = t.path.startsWith('/') ? t.path : `./${t.path}`;
      return p.endsWith('/') ? p : `${p}/`;
    }
    case 'ssh': {
      const user = t.user === undefined ? '' : `${t.user}@`;
      return `${user}${hostForUrl(t.host)}:${t.path.endsWith('/') ? t.path : `${t.path}/`}`;
    }
    case 'daemon': {
      const user = t.user === undefined ? '' : `${t.user}@`;
      const port = t.port === undefined ? '' : `:${t.port}`;
      return `rsync://${user}${hostForUrl(t.host)}${port}/${t.module}/${t.path === '' ? '' : `${t.path}/`}`;
    }
  }
}

/**
 * The ssh command rsync runs (its -e value): the options every ssh of a replica gets
 * (ssh/ssh-args.ts: batch mode, strict host key check, the configured key and port) and, with
 * `controlPath`, those that run the session over the replica's ssh master when it is up.
 */
export function sshCommand(spec: ReplicaSpec, connectTimeoutS: number, controlPath?: string): string {
  const argv = ['ssh', ...sshOptions(spec, connectTimeoutS), ...(controlPath === undefined ? [] : sharedOptions(controlPath))];
  return argv.map(quoteRshArg).join(' ');
}

/**
 * Quotes one word of an rsync -e command. rsync splits that string itself (no shell): on spaces,
 * with '…' or "…" grouping and a doubled quote inside a quoted group standing for the quote.
 */
export function quoteRshArg(word: string): string {
  if (word !== '' && !/[\s'"]/.test(word)) return word;
  return `'${word.replaceAll("'", "''")}'`;
}

/**
 * The stdin of a list pass: the raw bytes of each path, each followed by NUL. '' (the root) is '.'.
 * Every path is prefixed with './': rsync skips files-from entries that start with ';' or '#' as
 * comments, even with --from0 (verified: a file named '; x' was silently not sent).
 */
export function fileList(paths: readonly RelPath[]): Buffer {
  return Buffer.concat(paths.map((p) => Buffer.from(`${p === '' ? '.' : `./${p}`}\0`, 'latin1')));
}
