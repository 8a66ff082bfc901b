import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { canConnect, freePort } from './rsyncd.js';
import { waitFor } from './tree.js';

/**
 * An OpenSSH server on 127.0.0.1 for tests (root: it runs /usr/sbin/sshd), on a free port, with
 * its own host key and one client key it trusts; run in the foreground (-D) and stopped by its
 * own pid and its session children's pids. Its known_hosts holds the host key hashed (as
 * `HashKnownHosts yes` writes it) and an unrelated host's plain entry; `wrongKnownHosts` pins
 * another key for this host (a man in the middle).
 */
export class TestSshd {
  readonly keys: string;
  readonly identityFile: string;
  readonly knownHostsFile: string;
  readonly wrongKnownHosts: string;
  readonly logFile: string;
  private proc: ResultPromise | undefined;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly extraConfig: readonly string[],
  ) {
    this.keys = path.join(dir, 'keys');
    this.identityFile = path.join(this.keys, 'client_key');
    this.knownHostsFile = path.join(this.keys, 'known_hosts');
    this.wrongKnownHosts = path.join(this.keys, 'known_hosts.wrong');
    this.logFile = path.join(dir, 'sshd.log');
  }

  /** `extraConfig`: more sshd_config lines (after the fixture's own). */
  static async start(dir: string, opts: { extraConfig?: readonly string[] } = {}): Promise<TestSshd> {
    const s = new TestSshd(dir, await freePort(), opts.extraConfig ?? []);
    await s.launch();
    return s;
  }

  /** The sshd session processes (children of the listener): live connections, to cut by pid. */
  sessionPids(): number[] {
    const pid = this.proc?.pid;
    if (pid === undefined) return [];
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  }

  /** Successful logins so far (from sshd's log). */
  logins(): number {
    return readFileSync(this.logFile, 'utf8').split('Accepted publickey').length - 1;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p?.pid === undefined) return;
    for (const pid of [...this.sessionPids(), p.pid]) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    await p;
    this.proc = undefined;
  }

  private async launch(): Promise<void> {
    mkdirSync(this.keys, { recursive: true, mode: 0o700 });
    const hostPub = keygen(path.join(this.keys, 'host_key'));
    const clientPub = keygen(this.identityFile);
    const otherPub = keygen(path.join(this.keys, 'other_key'));
    writeFileSync(path.join(this.keys, 'authorized_keys'), `${clientPub}\n`, { mode: 0o600 });
    writeFileSync(this.knownHostsFile, `[127.0.0.1]:${this.port} ${hostPub}\n`);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', this.knownHostsFile], { stdio: 'ignore' });
    writeFileSync(this.knownHostsFile, `other.example ${otherPub}\n`, { flag: 'a' });
    writeFileSync(this.wrongKnownHosts, `[127.0.0.1]:${this.port} ${otherPub}\n`);
    const conf = path.join(this.dir, 'sshd_config');
    writeFileSync(
      conf,
      [
        `Port ${this.port}`,
        'ListenAddress 127.0.0.1',
        `HostKey ${path.join(this.keys, 'host_key')}`,
        `PidFile ${path.join(this.dir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${path.join(this.keys, 'authorized_keys')}`,
        'StrictModes no',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'PermitRootLogin prohibit-password',
        'Subsystem sftp internal-sftp',
        'LogLevel INFO',
        ...this.extraConfig,
        '',
      ].join('\n'),
    );
    // sshd's compiled-in privilege separation directory (what the openssh-server service creates at
    // boot). Created when missing and left in place: another sshd started meanwhile may need it.
    if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    const p = execa('/usr/sbin/sshd', ['-D', '-f', conf, '-E', this.logFile], { reject: false, stdin: 'ignore' });
    this.proc = p;
    await waitFor(async () => p.exitCode === null && (await canConnect(this.port)), `sshd on 127.0.0.1:${this.port}`, 5000);
  }
}

function keygen(file: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', file]);
  return readFileSync(`${file}.pub`, 'utf8').trim().split(/\s+/).slice(0, 2).join(' ');
}
