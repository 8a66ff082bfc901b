import type { ReplicaSpec } from '../../core/replica-spec.js';

/**
 * The argv of the ssh programs livemirror runs: the ssh rsync runs (its -e value, rsync-args.ts)
 * and the connection-sharing master (master.ts). Pure: no fs, no child_process.
 *
 * Every ssh gets the same options: batch mode (never prompts), host keys checked strictly
 * against the known_hosts file (never added or skipped), the configured key only, the port.
 */
export function sshOptions(spec: ReplicaSpec, connectTimeoutS: number): string[] {
  const t = spec.target;
  const port = t.kind === 'ssh' ? (t.port ?? spec.sshPort) : spec.sshPort;
  const argv = ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `ConnectTimeout=${connectTimeoutS}`];
  if (spec.knownHostsFile !== undefined) argv.push('-o', `UserKnownHostsFile=${spec.knownHostsFile}`);
  if (spec.identityFile !== undefined) argv.push('-i', spec.identityFile, '-o', 'IdentitiesOnly=yes');
  if (port !== undefined) argv.push('-p', String(port));
  return argv;
}

/**
 * `ControlPath=<path>` as ssh reads an -o option: ssh expands `%` tokens in ControlPath (so a
 * literal `%` is written `%%`) and splits an option's value on whitespace unless it is in double
 * quotes, inside which `\` escapes `"` and `\` (verified with OpenSSH 9.2 `ssh -G`).
 */
export function controlPathOption(socket: string): string {
  const escaped = socket.replaceAll('%', '%%');
  if (/^[A-Za-z0-9/._+%-]+$/.test(escaped)) return `ControlPath=${escaped}`;
  return `ControlPath="${escaped.replace(/[\\"]/g, '\\$&')}"`;
}

/**
 * The options of an ssh that goes through the master's socket when it is there. With
 * ControlMaster=no, ssh connects to the socket and runs its session over the master's
 * connection; when no master answers — no socket, or a stale one left by a master killed with
 * SIGKILL — it says "Control socket connect(...)" on stderr and connects directly (verified with
 * OpenSSH 9.2), so a batch never fails because the master is down: it pays the handshake.
 */
export function sharedOptions(socket: string): string[] {
  return ['-o', controlPathOption(socket), '-o', 'ControlMaster=no'];
}

export interface MasterOptions {
  connectTimeoutS: number;
  /** s between keepalives the master sends inside its connection (ServerAliveInterval). */
  serverAliveIntervalS: number;
  /** Unanswered keepalives after which the master gives the connection up and exits. */
  serverAliveCountMax: number;
}

/**
 * The ssh master of one replica: `-M -N` (a connection with no session of its own, serving the
 * sessions of ssh clients that come through `socket`), in the foreground (ControlPersist=no: the
 * daemon holds its pid and stops it), noticing a dead link through keepalives. The host goes
 * last, after `--`, the user through `-l`: a bare IPv6 address needs no brackets that way.
 */
export function masterArgs(spec: ReplicaSpec, socket: string, o: MasterOptions): string[] {
  const t = spec.target;
  if (t.kind !== 'ssh') throw new Error(`an ssh master needs an ssh target, got ${t.kind}`);
  return [
    '-M',
    '-N',
    '-o',
    controlPathOption(socket),
    '-o',
    'ControlPersist=no',
    '-o',
    `ServerAliveInterval=${o.serverAliveIntervalS}`,
    '-o',
    `ServerAliveCountMax=${o.serverAliveCountMax}`,
    ...sshOptions(spec, o.connectTimeoutS),
    ...(t.user !== undefined ? ['-l', t.user] : []),
    '--',
    t.host,
  ];
}

/**
 * Longest socket path (bytes) that works everywhere: sun_path holds 104 bytes on the BSDs and
 * macOS (108 on Linux) with its NUL, and ssh first binds `<path>.<16 random chars>`, then
 * renames it into place.
 */
export const MAX_SOCKET_PATH_BYTES = 104 - 1 - 17;

export function socketPathFits(socket: string): boolean {
  return Buffer.byteLength(socket) <= MAX_SOCKET_PATH_BYTES;
}
