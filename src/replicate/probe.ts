import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileList, listOnlyArgs, rsyncArgs, type ArgsInput } from './rsync-args.js';
import { classifyExit } from './rsync-exit.js';
import { runRsync as realRunRsync, type RsyncResult, type RunRsync } from './rsync-run.js';
import { errorText } from '../core/errors.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { ReplicaTunables } from '../core/tunables.js';

export interface ProbeCheck {
  name: 'reachable' | 'rsync' | 'writable';
  ok: boolean;
  detail: string;
}

export interface ProbeResult {
  ok: boolean;
  checks: ProbeCheck[];
}

export interface ProbeDeps {
  /** The source root (only its path is used, for the argv). */
  root: string;
  tunables: ReplicaTunables;
  runRsync?: RunRsync;
}

/**
 * `livemirror check` for one replica: three checks, each with a detail for people.
 *  - `rsync`: the local rsync runs (`--version`), and the replica's rsync answers (ssh/daemon);
 *  - `reachable`: the replica answers and accepts the credentials — a local directory exists; an
 *    ssh or daemon target lists its destination directory (`rsync --list-only`, host key checked,
 *    daemon password sent);
 *  - `writable`: a hidden empty file `.livemirror-check-<random>` is sent to the destination
 *    directory and deleted again by a second rsync (--delete-missing-args). That file is the only
 *    trace, and only for the moment between the two runs (or if the second run fails, which the
 *    detail then says). Skipped when the destination directory does not exist, since rsync would
 *    create it.
 * Never throws; `ok` is true when every check passed.
 */
export async function probeReplica(spec: ReplicaSpec, deps: ProbeDeps): Promise<ProbeResult> {
  const run = deps.runRsync ?? realRunRsync;
  const { tunables } = deps;
  const input: ArgsInput = { spec, tunables, root: deps.root, excludes: [] };
  const req = (args: string[], stdin?: Buffer) =>
    run({ program: spec.rsyncPath, args, ...(stdin ? { stdin } : {}), timeoutMs: (tunables.connectTimeoutS + tunables.ioTimeoutS) * 1000, killGraceMs: tunables.killGraceMs });

  const checks: ProbeCheck[] = [];
  const version = await req(['--version']);
  const localRsync = version.exitCode === 0;
  const versionText = firstLine(version.stderrTail) || (version.spawnError ?? `exit ${version.exitCode ?? version.signal}`);

  // reachable + remote rsync
  let reachable: ProbeCheck;
  let rsync: ProbeCheck;
  let destExists = false;
  if (spec.target.kind === 'local') {
    const dir = spec.target.path;
    try {
      const st = await fsp.stat(dir);
      destExists = st.isDirectory();
      reachable = { name: 'reachable', ok: destExists, detail: destExists ? `directory ${dir} exists` : `${dir} is not a directory` };
    } catch (e) {
      reachable = { name: 'reachable', ok: false, detail: `directory ${dir}: ${errorText(e)}` };
    }
    rsync = localRsync ? { name: 'rsync', ok: true, detail: 'local rsync runs' } : { name: 'rsync', ok: false, detail: `local rsync: ${versionText}` };
  } else if (!localRsync) {
    rsync = { name: 'rsync', ok: false, detail: `local rsync: ${versionText}` };
    reachable = { name: 'reachable', ok: false, detail: 'not checked: the local rsync does not run' };
  } else {
    const listed = await req(listOnlyArgs(input));
    const cls = classifyExit(listed.exitCode, listed.signal, listed.stderrTail);
    const why = firstLine(listed.stderrTail) || cls.reason;
    if (listed.exitCode === 0) {
      destExists = true;
      reachable = { name: 'reachable', ok: true, detail: `listed ${spec.targetText}` };
      rsync = { name: 'rsync', ok: true, detail: 'local and remote rsync answer' };
    } else if (listed.exitCode === 23 && /No such file or directory/.test(listed.stderrTail)) {
      reachable = { name: 'reachable', ok: true, detail: `connected, but the destination does not exist: ${why}` };
      rsync = { name: 'rsync', ok: true, detail: 'local and remote rsync answer' };
    } else if (/rsync: (?:command )?not found|rsync: No such file or directory/i.test(listed.stderrTail)) {
      reachable = { name: 'reachable', ok: true, detail: 'connected' };
      rsync = { name: 'rsync', ok: false, detail: `the replica has no rsync: ${why}` };
    } else {
      reachable = { name: 'reachable', ok: false, detail: `${cls.reason}: ${why}` };
      rsync = { name: 'rsync', ok: true, detail: 'local rsync runs; the remote one was not reached' };
    }
  }
  checks.push(reachable, rsync);

  if (!reachable.ok || !rsync.ok) {
    checks.push({ name: 'writable', ok: false, detail: 'not checked: the replica is not reachable' });
  } else if (!destExists) {
    checks.push({ name: 'writable', ok: false, detail: 'not checked: the destination directory does not exist (the first sync would create it)' });
  } else {
    checks.push(await writable(spec, tunables, req));
  }
  return { ok: checks.every((c) => c.ok), checks };
}

async function writable(spec: ReplicaSpec, tunables: ReplicaTunables, req: (args: string[], stdin?: Buffer) => Promise<RsyncResult>): Promise<ProbeCheck> {
  const name = `.livemirror-check-${randomBytes(6).toString('hex')}`;
  let dir: string | undefined;
  try {
    dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'livemirror-check-'));
    await fsp.writeFile(path.join(dir, name), '');
    const input: ArgsInput = { spec, tunables, root: dir, excludes: [] };
    const sent = await req(rsyncArgs('files', input), fileList([name]));
    if (sent.exitCode !== 0) return { name: 'writable', ok: false, detail: `cannot create ${name}: ${firstLine(sent.stderrTail) || classifyExit(sent.exitCode, sent.signal).reason}` };
    await fsp.unlink(path.join(dir, name));
    const removed = await req(rsyncArgs('deletes', input), fileList([name]));
    if (removed.exitCode !== 0)
      return { name: 'writable', ok: false, detail: `created ${name} but could not remove it (remove it by hand): ${firstLine(removed.stderrTail) || classifyExit(removed.exitCode, removed.signal).reason}` };
    return { name: 'writable', ok: true, detail: `created and removed ${name}` };
  } catch (e) {
    return { name: 'writable', ok: false, detail: errorText(e) };
  } finally {
    if (dir) await fsp.rm(dir, { recursive: true, force: true }).catch(() => {});
  }
}

function firstLine(text: string): string {
  return text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
}
