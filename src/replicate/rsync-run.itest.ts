import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileList } from './rsync-args.js';
import { runRsync } from './rsync-run.js';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'lm-rsync-run-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('runRsync (real processes)', () => {
  it('feeds the NUL-separated list on stdin and reads the --stats', async () => {
    const src = path.join(dir, 'src');
    const dst = path.join(dir, 'dst');
    mkdirSync(src);
    mkdirSync(dst);
    writeFileSync(path.join(src, 'a\nb'), 'x'.repeat(1000));
    writeFileSync(Buffer.from(`${src}/\xff`, 'latin1'), 'y');
    const r = await runRsync({
      program: 'rsync',
      args: ['-a', '-s', '--stats', '--from0', '--files-from=-', '--delete-missing-args', '--force', `${src}/`, `${dst}/`],
      stdin: fileList(['a\nb', '\xff']),
      killGraceMs: 500,
    });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, aborted: false, stderrTail: '' });
    expect(r.stats.filesTransferred).toBe(2);
    expect(r.stats.transferredBytes).toBe(1001);
    expect(r.stats.bytesSent).toBeGreaterThan(1001);
    expect(readFileSync(Buffer.from(`${dst}/\xff`, 'latin1'), 'utf8')).toBe('y');
  });

  it('reports rsync errors with the end of stderr', async () => {
    const r = await runRsync({ program: 'rsync', args: ['--no-such-option', '/x/', '/y/'], killGraceMs: 500 });
    expect(r.exitCode).toBe(1);
    expect(r.stderrTail).toMatch(/unknown option/);
    expect(r.spawnError).toBeUndefined();
  });

  it('a program that cannot start is a spawnError, not a throw', async () => {
    const r = await runRsync({ program: path.join(dir, 'no-rsync-here'), args: [], killGraceMs: 500 });
    expect(r.exitCode).toBeUndefined();
    expect(r.spawnError).toMatch(/ENOENT/);
  });

  it('kills on the deadline: SIGTERM, then SIGKILL after the grace time for a process that ignores it', async () => {
    const t0 = Date.now();
    const r = await runRsync({ program: 'bash', args: ['-c', 'trap "" TERM; sleep 20 & wait; sleep 20'], timeoutMs: 300, killGraceMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe('SIGKILL');
    // The process sleeps 20 s twice: well under that, it was killed.
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('an abort signal kills it (SIGTERM suffices for a well-behaved process)', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    const r = await runRsync({ program: 'sleep', args: ['20'], killGraceMs: 2000, signal: ac.signal });
    expect(r.aborted).toBe(true);
    expect(r.signal).toBe('SIGTERM');
    expect(r.durationMs).toBeLessThan(15_000);
  });

  it('passes --info=progress2 updates to onProgress', async () => {
    const src = path.join(dir, 'psrc');
    mkdirSync(src);
    writeFileSync(path.join(src, 'f'), Buffer.alloc(100_000));
    const seen: number[] = [];
    const r = await runRsync({ program: 'rsync', args: ['-a', '--info=progress2', `${src}/`, `${dir}/pdst/`], killGraceMs: 500, onProgress: (p) => seen.push(p.percent) });
    expect(r.exitCode).toBe(0);
    expect(seen.at(-1)).toBe(100);
  });
});
