import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPAWNED_FILE, spawnLine, WAIT_EXIT_SCRIPT } from '../../node.js';
import { BLOCK_BEGIN, BLOCK_END, EMPTY_DIR, REPLACE_BLOCK, STOP_SPAWNED } from './host-scripts.js';

// The host scripts run here in this machine's sh on a temp dir: what a host's sh does with them.
const run = promisify(execFile);
async function sh(script: string, args: readonly string[], opts: { stdin?: string; home?: string } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('sh', ['-c', script, 'sh', ...args], { env: { ...process.env, ...(opts.home ? { HOME: opts.home } : {}) }, timeout: 20_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.on('error', () => undefined); // a script that does not read stdin may exit first
    child.stdin?.end(opts.stdin ?? '');
  });
}
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lm-host-scripts-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('REPLACE_BLOCK', () => {
  it('adds, replaces and removes our block in place, leaving the rest', async () => {
    const f = path.join(dir, 'hosts');
    await writeFile(f, '127.0.0.1 localhost\n10.0.0.1 other\n');
    expect((await sh(REPLACE_BLOCK, [f, BLOCK_BEGIN, BLOCK_END], { stdin: '10.0.0.11\tweb1\n' })).code).toBe(0);
    expect(await readFile(f, 'utf8')).toBe(`127.0.0.1 localhost\n10.0.0.1 other\n${BLOCK_BEGIN}\n10.0.0.11\tweb1\n${BLOCK_END}\n`);
    await sh(REPLACE_BLOCK, [f, BLOCK_BEGIN, BLOCK_END], { stdin: '10.0.0.12\tweb2\n' });
    expect(await readFile(f, 'utf8')).toBe(`127.0.0.1 localhost\n10.0.0.1 other\n${BLOCK_BEGIN}\n10.0.0.12\tweb2\n${BLOCK_END}\n`);
    await sh(REPLACE_BLOCK, [f, BLOCK_BEGIN, BLOCK_END]);
    expect(await readFile(f, 'utf8')).toBe('127.0.0.1 localhost\n10.0.0.1 other\n');
  });
});

describe('EMPTY_DIR', () => {
  it('removes everything inside, keeps the dir; refuses a missing dir', async () => {
    await mkdir(path.join(dir, 'data/a/b'), { recursive: true });
    await writeFile(path.join(dir, 'data/a/b/f'), 'x');
    await writeFile(path.join(dir, 'data/.hidden'), 'x');
    expect((await sh(EMPTY_DIR, [path.join(dir, 'data')])).code).toBe(0);
    expect((await run('ls', ['-A', path.join(dir, 'data')])).stdout).toBe('');
    expect((await sh(EMPTY_DIR, [path.join(dir, 'nope')])).code).not.toBe(0);
  });
});

describe('spawnLine + STOP_SPAWNED + WAIT_EXIT_SCRIPT', () => {
  it('records what it starts; stops only processes that are still the recorded ones', async () => {
    const line = spawnLine(['sleep', '30'], { logFile: path.join(dir, 'log') }).toString();
    const started = await sh(line, [], { home: dir });
    expect(started.code).toBe(0);
    const pid = Number(started.stdout.trim());
    expect(alive(pid)).toBe(true);
    const record = await readFile(path.join(dir, SPAWNED_FILE), 'utf8');
    expect(record.trim().split(/\s+/)[0]).toBe(String(pid));

    // still running: wait-exit gives up (124) after its rounds
    expect((await sh(WAIT_EXIT_SCRIPT, [String(pid), '2'])).code).toBe(124);

    // a record of the same pid with another start time is not this process: left alone
    const other = path.join(dir, 'other');
    await writeFile(other, `${pid} Mon Jan  1 00:00:00 2001\n`);
    expect((await sh(STOP_SPAWNED, [other, '5'])).stdout.trim()).toBe('stopped:');
    expect(alive(pid)).toBe(true);

    const stopped = await sh(STOP_SPAWNED, [path.join(dir, SPAWNED_FILE), '20'], { home: dir });
    expect(stopped.stdout.trim()).toBe(`stopped: ${pid}`);
    expect((await sh(WAIT_EXIT_SCRIPT, [String(pid), '40'])).code).toBe(0);
    await expect(readFile(path.join(dir, SPAWNED_FILE))).rejects.toThrow();
    expect((await sh(STOP_SPAWNED, [path.join(dir, SPAWNED_FILE), '5'])).code).toBe(0);
  });
});
