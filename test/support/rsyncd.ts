import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { waitFor } from './tree.js';

/**
 * An rsync daemon on 127.0.0.1 for tests: one module `data` with auth, on a free port, run in
 * the foreground (--no-detach) so it is stopped by its own pid.
 */
export class TestRsyncd {
  private proc: ResultPromise | undefined;
  readonly passwordFile: string;
  readonly module: string;
  private readonly conf: string;

  constructor(
    readonly dir: string,
    readonly dataDir: string,
    readonly port: number,
  ) {
    mkdirSync(dir, { recursive: true });
    mkdirSync(dataDir, { recursive: true });
    const secrets = path.join(dir, 'secrets');
    writeFileSync(secrets, 'sync:s3cret\n', { mode: 0o600 });
    this.passwordFile = path.join(dir, 'password');
    writeFileSync(this.passwordFile, 's3cret\n', { mode: 0o600 });
    this.conf = path.join(dir, 'rsyncd.conf');
    writeFileSync(
      this.conf,
      [
        `pid file = ${path.join(dir, 'rsyncd.pid')}`,
        `log file = ${path.join(dir, 'rsyncd.log')}`,
        'use chroot = no',
        '[data]',
        `  path = ${dataDir}`,
        '  read only = no',
        '  uid = root',
        '  gid = root',
        '  auth users = sync',
        `  secrets file = ${secrets}`,
        '',
      ].join('\n'),
    );
    this.module = `rsync://sync@127.0.0.1:${port}/data`;
  }

  async start(): Promise<void> {
    const p = execa('rsync', ['--daemon', '--no-detach', `--config=${this.conf}`, '--address=127.0.0.1', `--port=${this.port}`], {
      reject: false,
      // stdin must not be a socket (Node's pipes are socketpairs): rsync would think inetd started it.
      stdin: 'ignore',
    });
    this.proc = p;
    await waitFor(async () => p.exitCode === null && (await canConnect(this.port)), `rsync daemon on 127.0.0.1:${this.port}`, 5000);
  }

  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p?.pid) return;
    try {
      process.kill(p.pid, 'SIGTERM');
    } catch {
      // already gone
    }
    await p;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
