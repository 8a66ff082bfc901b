import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { localNode } from './local-runner.js';
import { runRemoteScript } from './remote-script.js';

// The remote scripts run as the nodes run them (node -e, the driver appended, JSON on stdin).
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'remote-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('remote scripts', () => {
  it('make-tree makes grouped directories with files', async () => {
    const node = localNode('local', dir);
    const r = await runRemoteScript<{ dirs: number; files: number }>(node, 'make-tree', { root: `${dir}/t`, prefix: 'd', start: 0, count: 5, perGroup: 2, files: 2 });
    expect(r).toMatchObject({ dirs: 5, files: 10 });
    expect(readFileSync(`${dir}/t/g002/d00000/f1.txt`, 'utf8')).toBe('g002/d00000 file 1\n');
  });

  it('deep-write makes the directories and the file', async () => {
    const r = await runRemoteScript<{ writtenAt: number }>(localNode('local', dir), 'deep-write', { dir: `${dir}/a/b/c`, file: 'x.txt', content: 'deep' });
    expect(readFileSync(`${dir}/a/b/c/x.txt`, 'utf8')).toBe('deep');
    expect(Math.abs(r.writtenAt - Date.now())).toBeLessThan(60_000);
  });

  it('markers writes until its stop file exists; first-seen records names and sizes', async () => {
    const node = localNode('local', dir);
    writeFileSync(`${dir}/up-1`, 'abc');
    const stopFile = `${dir}/stop`;
    const seen = runRemoteScript<{ samples: number; seen: Record<string, number>[] }>(node, 'first-seen', {
      watch: [
        { dir, prefix: 'up-', sizes: true },
        { dir: `${dir}/m`, prefix: 'm-', sizes: false },
      ],
      stopFile,
      maxMs: 20_000,
      everyMs: 10,
    });
    const written = await runRemoteScript<Record<string, number>>(node, 'markers', { dir: `${dir}/m`, prefix: 'm-', stopFile, maxMs: 20_000, everyMs: 20, max: 3 });
    expect(Object.keys(written)).toEqual(['m-00000', 'm-00001', 'm-00002']);
    writeFileSync(`${dir}/up-1`, 'abcdef');
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(stopFile, '');
    const r = await seen;
    expect(r.samples).toBeGreaterThan(2);
    expect(Object.keys(r.seen[0] ?? {}).sort()).toEqual(['up-1\t3', 'up-1\t6']);
    expect(Object.keys(r.seen[1] ?? {}).sort()).toEqual(Object.keys(written));
    expect(existsSync(stopFile)).toBe(true);
  });
});
