import { execa } from 'execa';

/** Which namespaces of a holder to enter: its network only, or everything a node has. */
export type NsSet = 'net' | 'node';

/**
 * argv that runs `argv` inside the namespaces of process `pid` (a node init or the switch),
 * optionally in working directory `wd` (resolved inside the target's mount namespace).
 */
export function nsenterArgv(pid: number, set: NsSet, argv: readonly string[], wd?: string): string[] {
  const ns = set === 'net' ? ['-n'] : ['-m', '-u', '-i', '-n', '-p'];
  return ['nsenter', '-t', String(pid), ...ns, ...(wd === undefined ? [] : [`--wdns=${wd}`]), '--', ...argv];
}

export interface NsResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `argv` in the namespaces of `pid`, bounded by `timeoutMs` (default 15 s). Throws on a
 * non-zero exit unless `allowFail`.
 */
export async function inNs(
  pid: number,
  set: NsSet,
  argv: readonly string[],
  opts: { input?: string; allowFail?: boolean; timeoutMs?: number } = {},
): Promise<NsResult> {
  const [cmd, ...args] = nsenterArgv(pid, set, argv);
  const r = await execa(cmd as string, args, {
    input: opts.input ?? '',
    reject: false,
    timeout: opts.timeoutMs ?? 15_000,
    stripFinalNewline: true,
  });
  const result = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  if (result.exitCode !== 0 && !opts.allowFail) {
    throw new Error(`${argv.join(' ')} (in ns of ${pid}) failed: exit ${r.exitCode ?? r.signal}: ${result.stderr}`);
  }
  return result;
}
