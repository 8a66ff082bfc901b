import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExecOptions, ExecResult } from './node.js';
import { commandLineOf, RemoteCommandError, remoteShell, type LineRunner } from './remote-shell.js';

// The line runs in a real POSIX shell, as the node's sshd hands it over (bytes kept: the line
// goes in a script file, not through argv).
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'remote-shell-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const seen: { line: Buffer; opts: ExecOptions }[] = [];
let n = 0;
const sh: LineRunner = (line, opts) =>
  new Promise<ExecResult>((resolve, reject) => {
    seen.push({ line, opts });
    const file = path.join(dir, `line-${n++}.sh`);
    writeFileSync(file, line);
    const child = spawn('sh', [file], { stdio: 'pipe' });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal: signal ?? undefined, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
    child.stdin.end(opts.stdin);
  });
const $ = remoteShell('n1', sh);

const nasty: Buffer[] = [
  Buffer.from(''),
  Buffer.from("it's"),
  Buffer.from('$(reboot)`id`$HOME'),
  Buffer.from('-rf'),
  Buffer.from('a\nb\tc'),
  Buffer.from('*?[a]{b,c}~'),
  Buffer.from('; rm -rf / #'),
  Buffer.from('été/日本'),
  Buffer.from([0x66, 0xff, 0xfe, 0x80, 0x27, 0x20]),
];
const nul = (out: Buffer): Buffer[] => {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 0) continue;
    parts.push(out.subarray(start, i));
    start = i + 1;
  }
  return parts;
};

describe('a node’s $', () => {
  it('passes every interpolated value as exactly one word, byte for byte; an array as several', async () => {
    for (const v of nasty) expect(nul((await $`printf '%s\\0' ${v}`).buffer())).toEqual([v]);
    expect(nul((await $`printf '%s\\0' ${nasty}`).buffer())).toEqual(nasty);
    expect(nul((await $`printf '%s\\0' ${[]} x`).buffer())).toEqual([Buffer.from('x')]);
  });

  it('keeps the template’s own text as shell syntax', async () => {
    const out = await $`printf 'a\nb\n' | wc -l && echo ${'one two'} > ${path.join(dir, 'o t')} && cat ${path.join(dir, 'o t')}`;
    expect(out.lines()).toEqual(['2', 'one two']);
  });

  it('interpolates numbers and an earlier output (without its final newline)', async () => {
    const first = await $`echo hello`;
    expect((await $`printf '[%s]' ${first} ${42}`).stdout).toBe('[hello][42]');
  });

  it('throws on a non-zero exit with the output, unless nothrow', async () => {
    const err = await $`echo oops >&2; exit 3`.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RemoteCommandError);
    expect((err as RemoteCommandError).exitCode).toBe(3);
    expect((err as RemoteCommandError).message).toMatch(/^n1: `echo oops >&2; exit 3` failed \(exit 3\): oops$/);
    const r = await $`exit 4`.nothrow();
    expect([r.exitCode, r.ok]).toEqual([4, false]);
    expect((await $({ nothrow: true })`exit 5`).exitCode).toBe(5);
  });

  it('sends stdin, cwd and timeout through to the runner', async () => {
    expect((await $({ input: 'in put' })`cat`).stdout).toBe('in put');
    expect((await $({ cwd: dir })`pwd`).stdout.trim()).toBe(dir);
    await $`true`.timeout(1234);
    expect(seen.at(-1)?.opts.timeoutMs).toBe(1234);
    expect((await $`echo '{"a":[1]}'`).json()).toEqual({ a: [1] });
  });

  it('refuses undefined values and malformed templates', () => {
    expect(() => commandLineOf(['echo ', ''], [undefined as unknown as string])).toThrow(/#1 is undefined/);
    expect(() => commandLineOf([undefined], [])).toThrow(/malformed/);
  });
});
