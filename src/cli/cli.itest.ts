/**
 * The CLI as a user runs it: a real process, real exit codes, real stderr.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';

const main = path.resolve(import.meta.dirname, 'main.ts');
const cli = (args: string[]) => execa('node', ['--import', 'tsx', main, ...args], { reject: false, timeout: 30_000 });

const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-cli-'));
const src = path.join(dir, 'src');
mkdirSync(src);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const configFile = (name: string, yaml: string) => {
  const f = path.join(dir, name);
  writeFileSync(f, yaml);
  return f;
};

describe('livemirror CLI', () => {
  it('--help explains every command with examples', async () => {
    const r = await cli(['--help']);
    expect(r.exitCode).toBe(0);
    for (const word of ['run', 'check', 'status', 'rsync://', 'Examples', 'SIGHUP']) expect(r.stdout).toContain(word);
  });

  it('run --help lists the options', async () => {
    const r = await cli(['run', '--help']);
    expect(r.exitCode).toBe(0);
    for (const word of ['--config', '--no-initial-sync', '--exclude', '--password-file', '--status-socket']) expect(r.stdout).toContain(word);
  });

  it.each<[string, string, string, RegExp]>([
    ['unknown key', 'bad1.yaml', `source: ${src}\nreplicas: [{target: /tmp/x}]\nbogus: 1\n`, /bad1\.yaml: bogus: unknown key/],
    ['bad replica URL', 'bad2.yaml', `source: ${src}\nreplicas: [{target: /tmp/a}, {target: /tmp/b}, {target: "ftp://x"}]\n`, /replicas\[2\]\.target: expected .*got "ftp:\/\/x"/],
    ['source missing', 'bad3.yaml', `source: ${dir}/missing\nreplicas: [{target: /tmp/x}]\n`, /source: directory ".*missing" does not exist/],
    ['unreadable password file', 'bad4.yaml', `source: ${src}\nreplicas: [{target: "rsync://u@h/m", passwordFile: ${dir}/no-such-pass}]\n`, /replicas\[0\]\.passwordFile: file ".*no-such-pass" does not exist or is not readable/],
  ])('a bad config (%s) exits 2 naming the field', async (_n, name, yaml, message) => {
    const f = configFile(name, yaml);
    for (const cmd of ['run', 'check']) {
      const r = await cli([cmd, '--config', f]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });

  it('the quick form validates like a file', async () => {
    const r = await cli(['run', src, 'ftp://nowhere']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/command line: replicas\[0\]\.target: expected/);
  });

  it('run with nothing to do is a usage error', async () => {
    const r = await cli(['run']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/give SOURCE and at least one REPLICA/);
  });

  it('status without a daemon says where it looked', async () => {
    const r = await cli(['status', '--socket', path.join(dir, 'none.sock')]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/no livemirror daemon is listening on .*none\.sock/);
  });

  it('check probes a local replica', async () => {
    const replica = path.join(dir, 'replica');
    mkdirSync(replica);
    const r = await cli(['check', src, replica]);
    expect(r.stdout).toMatch(/ok\s+replica/);
    expect(r.exitCode).toBe(0);
  });
});
