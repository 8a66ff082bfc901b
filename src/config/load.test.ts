import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, fieldName, loadConfigFile } from './load.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-config-'));
const src = path.join(dir, 'src');
mkdirSync(src);
const pass = path.join(dir, 'pass');
writeFileSync(pass, 'secret\n', { mode: 0o600 });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function load(yaml: string) {
  const file = path.join(dir, `c${++n}.yaml`);
  writeFileSync(file, yaml);
  return { file, run: () => loadConfigFile(file) };
}

function errorOf(yaml: string): ConfigError {
  const { run } = load(yaml);
  try {
    run();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfigFile', () => {
  it('accepts a full config and resolves it', () => {
    const { file, run } = load(
      [
        `source: ${src}`,
        'replicas:',
        '  - target: ./mirror',
        '  - target: backup@web2:/srv/www',
        '    identityFile: ./pass',
        '  - target: rsync://sync@web3:8730/www/sub',
        `    passwordFile: ${pass}`,
        '    rsyncOptions: [--compress]',
        'excludes: ["*.tmp", ".git/"]',
        'stableFor: 2s',
        'settle: 50ms',
        'retryMax: 1m',
      ].join('\n'),
    );
    const c = run();
    expect(c.origin).toBe(file);
    expect(c.replicas.map((r) => r.target.kind)).toEqual(['local', 'ssh', 'daemon']);
    expect(c.replicas[0]?.target).toEqual({ kind: 'local', path: path.join(dir, 'mirror') });
    expect(c.replicas.map((r) => r.name)).toEqual(['mirror', 'web2', 'web3']);
    expect(c.replicas[2]?.rsyncOptions).toEqual(['--compress']);
    expect(c.settle).toEqual({ quietMs: 50, stableForMs: 2000, maxHoldMs: 60_000, treeHoldMs: 500 });
    expect(c.tunables.backoffMaxMs).toBe(60_000);
    expect(c.initialSync).toBe(true);
  });

  it('sshConnectionSharing: absent means the default (on), false turns it off for that replica', () => {
    const c = load(`source: ${src}\nreplicas: [{target: "a:/x"}, {target: "b:/x", sshConnectionSharing: false}]`).run();
    expect(c.replicas.map((r) => r.sshConnectionSharing)).toEqual([undefined, false]);
  });

  it.each<[string, string, string, RegExp]>([
    ['unknown key', `source: ${src}\nreplicas: [{target: /tmp/x}]\nsetle: 5`, 'setle', /unknown key/],
    ['unknown replica key', `source: ${src}\nreplicas: [{target: /tmp/x, pasword: y}]`, 'replicas[0].pasword', /unknown key/],
    ['bad replica URL', `source: ${src}\nreplicas: [{target: /tmp/x}, {target: /tmp/y}, {target: "ftp://x"}]`, 'replicas[2].target', /expected .*rsync:\/\/.*got "ftp:\/\/x"/],
    ['source missing', `source: ${dir}/nope\nreplicas: [{target: /tmp/x}]`, 'source', /does not exist/],
    ['source is a file', `source: ${pass}\nreplicas: [{target: /tmp/x}]`, 'source', /not a directory/],
    ['no replicas', `source: ${src}\nreplicas: []`, 'replicas', /at least one/],
    ['missing source', `replicas: [{target: /tmp/x}]`, 'source', /expected the directory/],
    ['bad duration', `source: ${src}\nreplicas: [{target: /tmp/x}]\nstableFor: soon`, 'stableFor', /expected a duration/],
    ['password file missing', `source: ${src}\nreplicas: [{target: "rsync://h/m", passwordFile: ${dir}/none}]`, 'replicas[0].passwordFile', /does not exist or is not readable/],
    ['password file on ssh', `source: ${src}\nreplicas: [{target: "h:/x", passwordFile: ${pass}}]`, 'replicas[0].passwordFile', /only rsync:\/\//],
    ['replica inside source', `source: ${src}\nreplicas: [{target: ${src}/m}]`, 'replicas[0].target', /inside the source/],
    ['duplicate names', `source: ${src}\nreplicas: [{target: "a:/x"}, {target: "a:/y"}]`, 'replicas[1].name', /unique/],
    ['connection sharing on a local replica', `source: ${src}\nreplicas: [{target: /tmp/x, sshConnectionSharing: false}]`, 'replicas[0].sshConnectionSharing', /only ssh replicas/],
    ['reserved rsync option', `source: ${src}\nreplicas: [{target: /tmp/x}]\nrsyncOptions: [--files-from=/etc/passwd]`, 'rsyncOptions[0]', /set by livemirror/],
  ])('%s → names %s', (_n, yaml, field, message) => {
    const e = errorOf(yaml);
    expect(e.field).toBe(field);
    expect(e.detail).toMatch(message);
    expect(e.message).toContain(e.origin);
  });

  it('reports every mistake of a file at once, each with file, field and what was expected', () => {
    const e = errorOf(`replicas: [{target: /tmp/x}, {target: "ftp://x", sshPort: 0}]\nstableFor: soon\nsetle: 5\nretryMax: 1m`);
    expect(e.problems.map((p) => p.field)).toEqual(['source', 'replicas[1].target', 'replicas[1].sshPort', 'stableFor', 'setle']);
    expect(e.problems.map((p) => p.detail)).toEqual([
      expect.stringMatching(/expected the directory to watch/),
      expect.stringMatching(/expected .*got "ftp:\/\/x"/),
      expect.stringMatching(/>=1|at least|too small/i),
      expect.stringMatching(/expected a duration like .* got "soon"/),
      expect.stringMatching(/unknown key/),
    ]);
    const lines = e.message.split('\n');
    expect(lines).toHaveLength(5);
    for (const [i, l] of lines.entries()) expect(l).toBe(`${e.origin}: ${e.problems[i]?.field}: ${e.problems[i]?.detail}`);
  });

  it('rejects a password file others can read (rsync would)', () => {
    const loose = path.join(dir, 'loose');
    writeFileSync(loose, 'x');
    chmodSync(loose, 0o644);
    const e = errorOf(`source: ${src}\nreplicas: [{target: "rsync://h/m", passwordFile: ${loose}}]`);
    expect(e.field).toBe('replicas[0].passwordFile');
    expect(e.detail).toMatch(/chmod 600/);
  });

  it('reports YAML syntax errors with the file name', () => {
    const e = errorOf('source: [unclosed');
    expect(e.message).toMatch(/not valid YAML/);
  });

  it('names the file it cannot read', () => {
    expect(() => loadConfigFile(path.join(dir, 'absent.yaml'))).toThrow(/absent\.yaml: cannot read/);
  });

  it('formats zod paths', () => {
    expect(fieldName(['replicas', 2, 'target'])).toBe('replicas[2].target');
  });
});

describe('loadConfigFile: password file that is a directory', () => {
  it('names the field', () => {
    const e = errorOf(`source: ${src}\nreplicas: [{target: "rsync://h/m", passwordFile: ${src}}]`);
    expect([e.field, e.detail]).toEqual(['replicas[0].passwordFile', `"${src}" is not a regular file`]);
  });
});
