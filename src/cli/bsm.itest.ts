/**
 * `livemirror bsm` and `livemirror events --watcher bsm-audit --replay` as a user runs them: the
 * built CLI (npm run build → dist/cli/main.js) on a trail written by the test encoder.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as enc from '../../test/support/bsm-encode.js';
import { AUE } from '../watch/bsm/bsm-events.js';

const repo = path.resolve(import.meta.dirname, '../..');
const main = path.join(repo, 'dist/cli/main.js');
const cli = (args: string[]) => execa('node', [main, ...args], { reject: false, timeout: 30_000 });

const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-bsm-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const T = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
const trail = Buffer.concat([
  enc.file('20240102030405.not_terminated', T),
  enc.syscall(AUE.OPEN_WTC, 700, [enc.arg32(2, 'flags', 0x601), enc.arg32(3, 'mode', 0o644), enc.path('/srv/www/up.bin')], { ret: 4, time: T }),
  enc.syscall(AUE.CLOSE, 700, [enc.arg32(1, 'fd', 4)], { time: T + 1 }),
  enc.syscall(AUE.RENAME, 700, [enc.path('/srv/www/up.bin'), enc.path('/srv/www/final.bin')], { time: T + 2 }),
  enc.syscall(AUE.UNLINK, 700, [enc.path('/srv/www/nope')], { error: 2, ret: -1, time: T + 3 }),
  enc.syscall(AUE.MKDIR, 701, [enc.path('/elsewhere/d')], { time: T + 4 }),
]);
const good = path.join(dir, 'good.trail');
const bad = path.join(dir, 'bad.trail');
writeFileSync(good, trail);
const broken = enc.bsmRecord(AUE.CREAT, [enc.path('/srv/www/x'), Buffer.from([0x99, 0, 0])], { time: T });
writeFileSync(bad, Buffer.concat([broken, enc.syscall(AUE.CREAT, 9, [enc.path('/srv/www/y')], { time: T })]));

beforeAll(async () => {
  await execa('npm', ['run', 'build'], { cwd: repo, timeout: 120_000 });
}, 150_000);

describe('livemirror bsm', () => {
  it('prints one JSON line per record, like praudit -l', async () => {
    const r = await cli(['bsm', good]);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(6);
    expect(lines[0]).toEqual({ offset: 0, file: '20240102030405.not_terminated', time: '2024-01-02T03:04:05.678Z' });
    expect(lines[1]).toEqual({
      offset: expect.any(Number),
      event: 79,
      name: 'AUE_OPEN_WTC',
      time: '2024-01-02T03:04:05.678Z',
      subject: { auid: 1001, euid: 1001, egid: 1001, ruid: 1001, rgid: 1001, pid: 700, sid: 77 },
      paths: ['/srv/www/up.bin'],
      attributes: [],
      arguments: [
        { n: 2, text: 'flags', value: 0x601 },
        { n: 3, text: 'mode', value: 0o644 },
      ],
      return: { error: 0, value: 4 },
      texts: [],
    });
    expect(lines.slice(2).map((l) => [l['name'], l['paths'], l['return']])).toEqual([
      ['AUE_CLOSE', [], { error: 0, value: 0 }],
      ['AUE_RENAME', ['/srv/www/up.bin', '/srv/www/final.bin'], { error: 0, value: 0 }],
      ['AUE_UNLINK', ['/srv/www/nope'], { error: 2, value: -1 }],
      ['AUE_MKDIR', ['/elsewhere/d'], { error: 0, value: 0 }],
    ]);
  });

  it('names the file and byte offset of what it cannot decode, prints the rest, exits 1', async () => {
    // 18 bytes of header32, then the path token (1 + 2 + '/srv/www/x' and its NUL = 14): 32.
    const r = await cli(['bsm', bad]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toBe(`livemirror: ${bad}: offset 32: unknown token id 0x99 at offset 32`);
    expect(r.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { paths: string[] }).paths)).toEqual([['/srv/www/y']]);
  });
});

describe('livemirror events --replay', () => {
  it('prints the changes bsm-audit would report for SOURCE, which need not exist here', async () => {
    const r = await cli(['events', '--watcher', 'bsm-audit', '--replay', good, '/srv/www']);
    expect(r.exitCode).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      { time: '2024-01-02T03:04:05.678Z', kind: 'create', path: 'up.bin', isDir: false, pid: 700, uid: 1001 },
      { time: '2024-01-02T03:04:05.679Z', kind: 'modify', path: 'up.bin', isDir: false, pid: 700, uid: 1001 },
      { time: '2024-01-02T03:04:05.680Z', kind: 'move', path: 'final.bin', from: 'up.bin', isDir: true, pid: 700, uid: 1001 },
    ]);
    expect(r.stderr).toContain('replaying');
  });

  it('is a usage error without --watcher bsm-audit', async () => {
    const r = await cli(['events', '--watcher', 'inotify', '--replay', good, '/srv/www']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--replay reads a saved BSM audit trail: it needs --watcher bsm-audit');
  });

  it('--help says SOURCE need not exist for a replay', async () => {
    const r = await cli(['events', '--help']);
    expect(r.stdout).toContain('--replay <file>');
    expect(r.stdout).toContain('it need not exist here');
  });
});
