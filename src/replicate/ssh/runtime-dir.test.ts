import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRuntimeDir, removeRuntimeDir, runtimeBases, SOCKET_NAME, sweepOrphans } from './runtime-dir.js';
import { socketPathFits } from './ssh-args.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'lm-rtdir-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('runtimeBases', () => {
  it('XDG_RUNTIME_DIR first, then the temp dir, then /tmp; relative or empty ones skipped, no duplicates', () => {
    expect(runtimeBases({ XDG_RUNTIME_DIR: '/run/user/1000' }, '/var/tmp')).toEqual(['/run/user/1000', '/var/tmp', '/tmp']);
    expect(runtimeBases({ XDG_RUNTIME_DIR: '' }, '/tmp/')).toEqual(['/tmp']);
    expect(runtimeBases({ XDG_RUNTIME_DIR: 'run' }, '/tmp')).toEqual(['/tmp']);
  });
});

describe('makeRuntimeDir', () => {
  it('makes livemirror-<pid>-<random> with mode 0700 in the first base that fits', () => {
    const r = makeRuntimeDir({ bases: [tmp], pid: 4242 });
    expect(path.dirname(r.dir)).toBe(tmp);
    expect(path.basename(r.dir)).toMatch(/^livemirror-4242-[A-Za-z0-9]{6}$/);
    expect(r.socket).toBe(path.join(r.dir, SOCKET_NAME));
    expect(statSync(r.dir).mode & 0o777).toBe(0o700);
    expect(socketPathFits(r.socket)).toBe(true);
    removeRuntimeDir(r.dir);
    removeRuntimeDir(r.dir); // idempotent
  });

  it('skips a base whose socket path would be too long, and one where it cannot make a directory', () => {
    const deep = path.join(tmp, 'd'.repeat(60));
    mkdirSync(deep);
    const notDir = path.join(tmp, 'file');
    writeFileSync(notDir, '');
    const r = makeRuntimeDir({ bases: [deep, notDir, tmp] });
    expect(path.dirname(r.dir)).toBe(tmp);
    removeRuntimeDir(r.dir);
    expect(() => makeRuntimeDir({ bases: [deep, notDir] })).toThrow(/exceed 86 bytes.*ENOTDIR/);
  });
});

describe('sweepOrphans', () => {
  it("removes directories of pids that are gone, never a live process's or another name", async () => {
    const base = mkdtempSync(path.join(tmp, 'b'));
    const dead = path.join(base, 'livemirror-999999999-aaaaaa'); // above any pid_max
    const mine = path.join(base, `livemirror-${process.pid}-bbbbbb`);
    const live = path.join(base, 'livemirror-1-cccccc'); // init
    const other = path.join(base, 'livemirror-999999999-toolong');
    for (const d of [dead, mine, live, other]) mkdirSync(d);
    expect(await sweepOrphans({ bases: [base] })).toEqual([dead]);
    expect(statSync(mine).isDirectory()).toBe(true);
    expect(statSync(live).isDirectory()).toBe(true);
    expect(statSync(other).isDirectory()).toBe(true);
  });
});
