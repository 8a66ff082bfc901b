import type { Arg } from '../../shell-quote.js';

/** What a command on a host returned. */
export interface HostResult {
  /** Exit status, or null when it died from a signal. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs one argv on one host as root (over ssh2 for the ssh provider): no shell sees the
 * arguments except through the quoting of shell-quote.ts. Contract: resolves with the status
 * whatever it is (never throws for a non-zero exit); rejects only when the command could not be
 * run at all or outlived `timeoutMs` (default 30 000). Calls may run concurrently.
 */
export interface HostRunner {
  readonly name: string;
  run(argv: readonly Arg[], opts?: { stdin?: string; timeoutMs?: number }): Promise<HostResult>;
}

/** A generated command: argv, optional stdin, and stderr patterns that mean "already so" (idempotence). */
export interface Command {
  readonly argv: readonly string[];
  readonly stdin?: string;
  /** A failure whose stderr matches this is not an error (deleting what is not there). */
  readonly okIf?: RegExp;
}

/** Runs `cmd`, throwing with the host, the argv and stderr unless it succeeded (or failed harmlessly). */
export async function runCommand(host: HostRunner, cmd: Command, timeoutMs?: number): Promise<HostResult> {
  const r = await host.run(cmd.argv, { ...(cmd.stdin === undefined ? {} : { stdin: cmd.stdin }), ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  if (r.code !== 0 && !(cmd.okIf && cmd.okIf.test(r.stderr))) {
    const why = r.code === null ? 'a signal' : `exit ${r.code}`;
    throw new Error(`${host.name}: \`${cmd.argv.join(' ').slice(0, 200)}\` failed (${why}): ${r.stderr.trim().slice(-1000)}`);
  }
  return r;
}

/** Runs `cmds` one after another (stops at the first failure). */
export async function runAll(host: HostRunner, cmds: readonly Command[]): Promise<void> {
  for (const c of cmds) await runCommand(host, c);
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Throws unless `a` is a dotted IPv4 address (it goes into firewall rule text). */
export function checkIpv4(a: string): string {
  const m = IPV4.exec(a);
  if (!m || m.slice(1).some((p) => Number(p) > 255)) throw new Error(`invalid IPv4 address '${a}'`);
  return a;
}

/** Throws unless `name` is a plausible interface name (it goes into rule text and argv). */
export function checkIface(name: string): string {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name)) throw new Error(`invalid interface name '${name}'`);
  return name;
}

export function checkPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`invalid port ${port}`);
  return port;
}
