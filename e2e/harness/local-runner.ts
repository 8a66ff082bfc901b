import { spawn } from 'node:child_process';
import type { ExecOptions, ExecResult } from './node.js';
import type { Arg } from './shell-quote.js';
import type { TreeNode } from './tree.js';

/**
 * A TreeNode that runs commands on this machine (no ssh, no shell): lets tests run the remote
 * scripts (digest, churn, upload) against a temp directory. Arguments must be text.
 */
export function localNode(name: string, dataDir: string): TreeNode {
  return {
    name,
    info: { dataDir },
    exec: (argv: readonly Arg[], opts: ExecOptions = {}) =>
      new Promise<ExecResult>((resolve, reject) => {
        const [cmd, ...args] = argv.map((a) => {
          if (typeof a !== 'string') throw new Error('localNode: arguments must be strings');
          return a;
        });
        if (cmd === undefined) throw new Error('empty argv');
        const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: 'pipe' });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
        child.stdout.on('data', (d: Buffer) => out.push(d));
        child.stderr.on('data', (d: Buffer) => err.push(d));
        child.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code, signal: signal ?? undefined, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
        });
        child.stdin.end(opts.stdin);
      }),
  };
}
