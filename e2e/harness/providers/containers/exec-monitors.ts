import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { killRef, procRef, type ProcRef, waitGone } from '../shared/proc.js';

/**
 * podman keeps a conmon pair for every exec session made through its API (`exec` of a fault, a
 * disk fill, a kill) for `exit_command_delay` (5 minutes) after the command ended, so that a
 * Docker client may still inspect it (podman#20415); they outlive the container. The teardown
 * stops those of the cluster's own containers, by pid: a conmon whose `-c` names one of them.
 */

/** A conmon process: the container it monitors, by id (`-c`) and name (`-n`). */
export interface Conmon {
  readonly pid: number;
  readonly id: string | undefined;
  readonly name: string | undefined;
}

/** The conmon processes among `procs`. */
export function conmonsOf(procs: readonly { pid: number; argv: readonly string[] }[]): Conmon[] {
  const after = (argv: readonly string[], flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  return procs.filter(({ argv }) => path.basename(argv[0] ?? '') === 'conmon').map(({ pid, argv }) => ({ pid, id: after(argv, '-c'), name: after(argv, '-n') }));
}

/** This machine's processes with their argv (from /proc; those that vanish while read are left out). */
export function processes(): { pid: number; argv: string[] }[] {
  const out: { pid: number; argv: string[] }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0');
      if (argv.at(-1) === '') argv.pop();
      out.push({ pid: Number(name), argv });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Stops (SIGKILL, by pid and start time) the exec monitors of containers `ids`; returns how many. */
export async function stopExecMonitors(ids: ReadonlySet<string>, deadlineMs = 5000): Promise<number> {
  if (process.platform !== 'linux' || ids.size === 0) return 0;
  const refs = conmonsOf(processes())
    .filter((c) => c.id !== undefined && ids.has(c.id))
    .map((c) => procRef(c.pid))
    .filter((r): r is ProcRef => r !== undefined);
  for (const r of refs) killRef(r);
  if (!(await waitGone(refs, deadlineMs))) throw new Error(`containers: exec monitors ${refs.map((r) => r.pid).join(', ')} did not stop`);
  return refs.length;
}
