/**
 * `livemirror events` as a user runs it: the built CLI (npm run build → dist/cli/main.js) as a
 * child process on a temp directory, changed from the test (or from a child of its own), and the
 * JSON lines and the stderr line it prints.
 *
 * The fanotify case needs root (CAP_SYS_ADMIN for the filesystem mark); CI runs as root, and that
 * test fails rather than skips elsewhere, with the reason on stderr.
 */
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const repo = path.resolve(import.meta.dirname, '../..');
const main = path.join(repo, 'dist/cli/main.js');

const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-events-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  await execa('npm', ['run', 'build'], { cwd: repo, timeout: 120_000 });
}, 150_000);

/** Every process a test starts, so that none outlives it. */
const running = new Set<ResultPromise>();

/** Stops a child by its pid: SIGTERM, then SIGKILL after a bounded wait. */
async function stop(p: ResultPromise): Promise<void> {
  const pid = p.pid;
  if (pid !== undefined && p.exitCode === null && p.signalCode === null) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const ended = await Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000))]);
    if (!ended) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      await p.catch(() => undefined);
    }
  }
  running.delete(p);
}
afterEach(async () => {
  for (const p of [...running]) await stop(p);
});

function cli(args: string[]): ResultPromise<{ reject: false; timeout: number }> {
  const p = execa('node', [main, ...args], { reject: false, timeout: 30_000 });
  running.add(p);
  return p;
}

/** Resolves with the first whole stderr line that contains `text` (the source is watching); rejects if the child exits first. */
function stderrSays(p: ResultPromise, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let seen = '';
    p.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString('utf8');
      const line = seen.split('\n').slice(0, -1).find((l) => l.includes(text));
      if (line !== undefined) resolve(line);
    });
    void p.then((r) => reject(new Error(`exited (${String(r.exitCode)}) before saying "${text}": ${String(r.stderr)}`)), reject);
  });
}

type Line = { kind: string; path: string; isDir: boolean; pid?: number; closed?: boolean; time: string };
const lines = (stdout: unknown): Line[] =>
  String(stdout)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Line);

describe('livemirror events', () => {
  it('--watcher inotify -n 2: a file made in DIR gives two JSON lines, and stderr names the source', async () => {
    const watched = mkdtempSync(path.join(dir, 'ino-'));
    const p = cli(['events', '--watcher', 'inotify', '-n', '2', watched]);
    const said = await stderrSays(p, 'watching');
    expect(said).toBe(`livemirror: watching ${realpathSync(watched)} with inotify (--watcher)`);
    writeFileSync(path.join(watched, 'hello.txt'), 'hello');
    const r = await p;
    expect(r.exitCode).toBe(0);
    const got = lines(r.stdout);
    expect(got.map(({ kind, path, isDir }) => ({ kind, path, isDir }))).toEqual([
      { kind: 'create', path: 'hello.txt', isDir: false },
      { kind: 'modify', path: 'hello.txt', isDir: false },
    ]);
    for (const l of got) expect(Number.isNaN(Date.parse(l.time))).toBe(false);
    expect(got[0]).not.toHaveProperty('pid'); // inotify does not know the writer
  });

  // Needs root (see the top of this file).
  it('--watcher fanotify reports the pid of the child process that wrote the file', async () => {
    const watched = mkdtempSync(path.join(dir, 'fan-'));
    // One event: the kernel may merge the file's create, modify and close into one record, or not.
    const p = cli(['events', '--watcher', 'fanotify', '-n', '1', watched]);
    const said = await stderrSays(p, 'watching');
    expect(said).toBe(`livemirror: watching ${realpathSync(watched)} with fanotify (--watcher)`);
    const writer = execa('node', ['-e', 'require("node:fs").writeFileSync(process.argv[1], "x")', path.join(watched, 'by-child.txt')], { timeout: 30_000 });
    running.add(writer);
    const w = await writer;
    expect(w.exitCode).toBe(0);
    const r = await p;
    expect(r.exitCode).toBe(0);
    const [line, ...more] = lines(r.stdout);
    expect(more).toEqual([]);
    expect(line).toMatchObject({ kind: 'create', path: 'by-child.txt', isDir: false, pid: writer.pid });
    expect(line?.pid).not.toBe(p.pid);
  });

  it('a directory that does not exist exits 2 naming it', async () => {
    const missing = path.join(dir, 'no-such-dir');
    const r = await cli(['events', '--watcher', 'inotify', missing]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`livemirror: ${missing}: cannot watch it: ENOENT`);
    expect(r.stdout).toBe('');
  });

  it('a file instead of a directory exits 2 naming it', async () => {
    const file = path.join(dir, 'plain-file');
    writeFileSync(file, '');
    const r = await cli(['events', file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`${file}: cannot watch it: not a directory`);
  });

  it('--watcher nonsense exits 2 listing the choices', async () => {
    const r = await cli(['events', '--watcher', 'nonsense', dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/'nonsense' is invalid\. Allowed choices are auto, inotify, fanotify/);
    expect(r.stdout).toBe('');
  });
});
