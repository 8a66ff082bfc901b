/**
 * `livemirror status` has two paths: main.ts answers the plain forms without commander (the fast
 * path, issue #8), and commander answers the rest (-c/--config, --help, mistakes). Both must print
 * the same, byte for byte, with the same exit code: each plain form runs as a real process (fast
 * path) and through runCli in-process (commander), against a real status server.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DaemonStatus } from '../core/status.js';
import { serveStatus } from '../observe/status.js';
import { runCli } from './program.js';

const main = path.resolve(import.meta.dirname, 'main.ts');
const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-status-'));
const socket = path.join(dir, 'status.sock');
const none = path.join(dir, 'none.sock');

const now = Date.now();
const status: DaemonStatus = {
  pid: 4242,
  source: '/srv/www',
  ready: true,
  startedAt: now - 60_000,
  readyAt: now - 59_000,
  watches: 12,
  overflows: 1,
  settling: 3,
  replicas: [
    { name: 'web2', target: 'web2:/srv/www', state: 'idle', queued: 0, lagMs: 0, inFlight: 0, lastSuccess: now - 2000, attempts: 0, fullSyncs: 1, batches: 7 },
    {
      name: 'backup-with-a-long-name',
      target: 'rsync://sync@backup/www',
      state: 'backoff',
      queued: 5,
      lagMs: 12_345,
      inFlight: 2,
      lastError: { time: now - 1000, message: '@ERROR: auth failed on module www\nsecond line', exitCode: 5 },
      nextAttempt: now + 4000,
      attempts: 3,
      fullSyncs: 0,
      batches: 0,
    },
  ],
};

let server: { close: () => Promise<void> } | undefined;
beforeAll(async () => {
  server = await serveStatus(socket, { status: () => status, release: () => [] });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Result {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** "2.0s ago" depends on when each path read the clock. */
const steady = (r: Result): Result => ({ ...r, stdout: r.stdout.replace(/\d+\.\ds ago/g, 'N.Ns ago') });

async function processPath(args: string[]): Promise<Result> {
  const r = await execa('node', ['--import', 'tsx', main, ...args], { reject: false, timeout: 30_000, stripFinalNewline: false });
  return steady({ exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr });
}

async function commanderPath(args: string[]): Promise<Result> {
  let stdout = '';
  let stderr = '';
  const exitCode = await runCli(['node', 'livemirror', ...args], { out: (s) => (stdout += s), err: (s) => (stderr += s) });
  return steady({ exitCode, stdout, stderr });
}

describe('livemirror status: the fast path prints what commander prints', () => {
  it.each([
    [['status', '--socket', socket]],
    [['status', `--socket=${socket}`]],
    [['status', '--json', '--socket', socket]],
    [['status', `--socket=${socket}`, '--json']],
    [['status', '--socket', none]],
    [['status', '--json', `--socket=${none}`]],
  ])('%j', async (args) => {
    const [fast, full] = await Promise.all([processPath(args), commanderPath(args)]);
    expect(fast).toEqual(full);
    if (args.some((a) => a.includes(none))) {
      expect(fast.exitCode).toBe(1);
      expect(fast.stdout).toBe('');
      expect(fast.stderr).toBe(`livemirror: no livemirror daemon is listening on ${none} (is it running? is statusSocket set differently?)\n`);
    } else {
      expect(fast.exitCode).toBe(0);
      expect(fast.stderr).toBe('');
      if (args.includes('--json')) expect(JSON.parse(fast.stdout)).toEqual(status);
      else expect(fast.stdout).toMatch(/^livemirror pid 4242 watching \/srv\/www: ready.*\nREPLICA +STATE +QUEUED[^\n]*\nweb2 .*N\.Ns ago +-\nbackup-with-a-long-name +backoff +7 +12\.3s +never +@ERROR: auth failed on module www\n$/);
    }
  });

  it('status --config (commander, in a process) prints the same as the fast path', async () => {
    const src = path.join(dir, 'src');
    const replica = path.join(dir, 'replica');
    mkdirSync(src, { recursive: true });
    mkdirSync(replica, { recursive: true });
    const config = path.join(dir, 'livemirror.yaml');
    writeFileSync(config, `source: ${src}\nreplicas:\n  - target: ${replica}\nstatusSocket: ${socket}\n`);
    const [viaConfig, fast] = await Promise.all([processPath(['status', '-c', config]), processPath(['status', '--socket', socket])]);
    expect(viaConfig).toEqual(fast);
    expect(viaConfig.exitCode).toBe(0);
  });

  it('loads neither commander nor node:http (they are made unresolvable here)', async () => {
    const hook = 'export async function resolve(s, c, next) { if (s === "commander" || s === "node:http") throw new Error(`${s} loaded`); return next(s, c); }';
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${hook}`)});`;
    const run = (args: string[]) => execa('node', ['--import', 'tsx', '--import', `data:text/javascript,${register}`, main, ...args], { reject: false, timeout: 30_000 });
    const fast = await run(['status', '--json', '--socket', socket]);
    expect(fast.exitCode).toBe(0);
    expect(JSON.parse(fast.stdout)).toEqual(status);
    // The hook bites: the same with -c goes to commander and fails to load it.
    const full = await run(['status', '-c', path.join(dir, 'any.yaml')]);
    expect(full.stderr).toMatch(/commander loaded/);
  });

  it.each([
    [['status', '--help'], 0, /Usage: livemirror status/],
    [['status', '--bogus'], 2, /unknown option '--bogus'/],
    [['status', 'release'], 2, /too many arguments/],
    [['status', '--socket'], 2, /option '--socket <path>' argument missing/],
  ])('%j still goes to commander', async (args, exitCode, message) => {
    const r = await processPath(args);
    expect(r.exitCode).toBe(exitCode);
    expect(r.stdout + r.stderr).toMatch(message);
  });
});
