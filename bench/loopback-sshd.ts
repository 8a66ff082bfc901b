/**
 * An sshd of the benchmark's own on 127.0.0.1, for the workloads that replicate over ssh
 * (sshlatency, bigfile): a temp host key, a temp client key that is the only one it accepts, a
 * free port, in the foreground (`-D`) so that it is stopped by its pid, its temp directory
 * removed afterwards — `withLoopbackSshd(fn)` does all of it around `fn`, also when `fn` throws.
 *
 * The replicas are written by a dedicated user, `lmbench`, with `/bin/sh` as its shell and no
 * home, created here when missing (so only as root). Why not root itself: sshd runs every
 * session's command through the user's shell, and bash sources ~/.bashrc for commands run by
 * sshd; root's .bashrc on our machines runs `pyenv init`, which made EVERY ssh session — so every
 * rsync — cost ~0.5 s more. That is a quirk of the machine, not of the tools being compared: a
 * replication user with a plain shell is what a deployment has. The account's password is `*`
 * (no password can match), not `!` (locked): with UsePAM no, sshd refuses locked accounts even
 * for key logins.
 *
 * The config needs StrictModes no (the keys live under /tmp, which sshd would find too open),
 * and the client's public key must be readable by lmbench (sshd reads AuthorizedKeysFile as the
 * user), so the temp directory is 0755; the private keys stay 0600.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { waitUntil } from '../e2e/harness/poll.js';
import { stopProcess } from './processes.js';

export const BENCH_SSH_USER = 'lmbench';
const SSHD = '/usr/sbin/sshd';
const SSH = '/usr/bin/ssh';

export interface LoopbackSshd {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly user: string;
  readonly identityFile: string;
  readonly knownHostsFile: string;
  /** The ssh command as one string, for `rsync -e` and lsyncd's `rsh` (no spaces inside its words: temp paths). */
  readonly rsh: string;
  /** `user@127.0.0.1:dir` (rsync's remote syntax). */
  target(dir: string): string;
  /** Makes `dir` (a replica) the ssh user's, so that its rsync can write there. */
  giveToUser(dir: string): void;
}

export interface SshdConfigInput {
  readonly port: number;
  readonly hostKey: string;
  readonly authorizedKeys: string;
  readonly pidFile: string;
  readonly user: string;
}

/** sshd_config for the loopback sshd (pure): loopback only, one user, one key, no password, no PAM. */
export function sshdConfig(o: SshdConfigInput): string {
  return [
    'ListenAddress 127.0.0.1',
    `Port ${o.port}`,
    `HostKey ${o.hostKey}`,
    `AuthorizedKeysFile ${o.authorizedKeys}`,
    `PidFile ${o.pidFile}`,
    `AllowUsers ${o.user}`,
    'StrictModes no',
    'UsePAM no',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'PermitRootLogin no',
    // livemirror replays renames over sftp.
    'Subsystem sftp internal-sftp',
    '',
  ].join('\n');
}

/** The known_hosts line for a host key (the text of its .pub) on 127.0.0.1:port (pure). */
export function knownHostsLine(port: number, hostPub: string): string {
  const [type, key] = hostPub.trim().split(/\s+/);
  if (!type || !key) throw new Error(`not a public key: ${JSON.stringify(hostPub.slice(0, 80))}`);
  return `[127.0.0.1]:${port} ${type} ${key}\n`;
}

/** The ssh options every client of the loopback sshd uses (pure): this key only, the host key checked, never a prompt. */
export function sshClientArgs(port: number, identityFile: string, knownHostsFile: string): string[] {
  return ['-p', String(port), '-i', identityFile, '-o', 'IdentitiesOnly=yes', '-o', `UserKnownHostsFile=${knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
}

/**
 * Whether the ssh workloads can run here, creating the user when missing: needs root (to create
 * the user, start sshd on a port and chown the replicas) and sshd.
 */
export async function loopbackSshAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (process.getuid?.() !== 0) return { ok: false, reason: `needs root: the ssh workloads start their own sshd on 127.0.0.1 and write the replicas as user ${BENCH_SSH_USER} (created when missing)` };
  if (!existsSync(SSHD) || !existsSync(SSH)) return { ok: false, reason: `needs OpenSSH (${SSHD} and ${SSH}): apt-get install openssh-server openssh-client` };
  if ((await execa('id', ['-u', BENCH_SSH_USER], { reject: false })).exitCode !== 0) {
    const add = await execa('useradd', ['--system', '--shell', '/bin/sh', '--home-dir', '/nonexistent', '--no-create-home', BENCH_SSH_USER], { reject: false });
    if (add.exitCode !== 0) return { ok: false, reason: `useradd ${BENCH_SSH_USER} failed: ${add.stderr.trim()}` };
    // '*': no password matches, but the account is not locked ('!'), which sshd refuses without PAM.
    const mod = await execa('usermod', ['-p', '*', BENCH_SSH_USER], { reject: false });
    if (mod.exitCode !== 0) return { ok: false, reason: `usermod -p '*' ${BENCH_SSH_USER} failed: ${mod.stderr.trim()}` };
  }
  return { ok: true };
}

/** A port free on 127.0.0.1 a moment ago (bound to port 0, then closed). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const accepts = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port, timeout: 500 }, () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false)).once('timeout', () => (s.destroy(), resolve(false)));
  });

async function keygen(file: string): Promise<void> {
  await execa('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'livemirror-bench', '-f', file], { timeout: 30_000 });
}

async function numericId(flag: '-u' | '-g'): Promise<number> {
  return Number((await execa('id', [flag, BENCH_SSH_USER], { timeout: 10_000 })).stdout.trim());
}

/** Runs `fn` with a loopback sshd up and the user ready (see the module comment); stops sshd by pid and removes its directory afterwards. */
export async function withLoopbackSshd<T>(fn: (sshd: LoopbackSshd) => Promise<T>): Promise<T> {
  const avail = await loopbackSshAvailable();
  if (!avail.ok) throw new Error(avail.reason);
  const [uid, gid] = [await numericId('-u'), await numericId('-g')];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-bench-sshd-'));
  let proc: ReturnType<typeof execa> | undefined;
  try {
    chmodSync(dir, 0o755);
    const hostKey = path.join(dir, 'host_ed25519');
    const identityFile = path.join(dir, 'client_ed25519');
    const knownHostsFile = path.join(dir, 'known_hosts');
    const config = path.join(dir, 'sshd_config');
    const logFile = path.join(dir, 'sshd.log');
    await Promise.all([keygen(hostKey), keygen(identityFile)]);
    const port = await freePort();
    writeFileSync(config, sshdConfig({ port, hostKey, authorizedKeys: `${identityFile}.pub`, pidFile: path.join(dir, 'sshd.pid'), user: BENCH_SSH_USER }));
    writeFileSync(knownHostsFile, knownHostsLine(port, readFileSync(`${hostKey}.pub`, 'utf8')));
    mkdirSync('/run/sshd', { recursive: true }); // its privilege separation directory
    const started = execa(SSHD, ['-D', '-f', config, '-E', logFile], { reject: false, stdout: 'ignore', stderr: 'pipe' });
    proc = started;
    const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().slice(-2000) : '');
    await waitUntil(async () => {
      if (started.exitCode !== null) throw new Error(`sshd exited (${started.exitCode}) before it listened: ${log()}`);
      return accepts(port);
    }, `sshd on 127.0.0.1:${port}`, 10_000, 20);
    const clientArgs = sshClientArgs(port, identityFile, knownHostsFile);
    const login = await execa(SSH, [...clientArgs, '-l', BENCH_SSH_USER, '127.0.0.1', 'true'], { reject: false, timeout: 15_000 });
    if (login.exitCode !== 0) throw new Error(`ssh ${BENCH_SSH_USER}@127.0.0.1 -p ${port} failed (${login.exitCode}): ${login.stderr.trim()}\nsshd log: ${log()}`);
    return await fn({
      host: '127.0.0.1',
      port,
      user: BENCH_SSH_USER,
      identityFile,
      knownHostsFile,
      rsh: [SSH, ...clientArgs].join(' '),
      target: (d) => `${BENCH_SSH_USER}@127.0.0.1:${d}`,
      giveToUser: (d) => chownSync(d, uid, gid),
    });
  } finally {
    if (proc) await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
  }
}
