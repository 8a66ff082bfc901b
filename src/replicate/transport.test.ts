import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/support/fake-clock.js';
import { localRenamer, type LocalFs } from './transport-local.js';
import { defaults } from '../config/defaults.js';
import { sshRenamer, utf8Name } from './transport-ssh.js';
import { joinBytes, parentBytes } from '../core/path.js';
import type { ReplicaSpec } from '../core/replica-spec.js';

describe('joinBytes / parentBytes', () => {
  it.each([
    ['/r', 'a/b', '/r/a/b'],
    ['/r/', 'a', '/r/a'],
    ['/r', '', '/r'],
  ])('%s + %j', (base, rel, want) => expect(joinBytes(base, rel).toString('latin1')).toBe(want));
  it('keeps raw bytes (latin1 byte strings) and UTF-8 roots', () => {
    expect([...joinBytes('/é', '\xff\n')]).toEqual([0x2f, 0xc3, 0xa9, 0x2f, 0xff, 0x0a]);
  });
  it.each([
    ['/r/a/b', '/r/a'],
    ['/r', undefined],
    ['r', undefined],
  ])('parent of %s', (p, want) => expect(parentBytes(Buffer.from(p))?.toString()).toBe(want));
});

describe('utf8Name', () => {
  it.each([
    ['plain', 'plain'],
    ['\xc3\xa9t\xc3\xa9', 'été'],
    ['\xff', undefined],
    ['a\xc3', undefined],
  ])('%j → %j', (p, want) => expect(utf8Name(p)).toBe(want));
});

function fakeFs(entries: Record<string, 'file' | 'dir'>, fail?: Error) {
  const calls: string[] = [];
  const fs: LocalFs = {
    lstat: async (p) => {
      const kind = entries[p.toString('latin1')];
      if (!kind) throw Object.assign(new Error(`ENOENT: no such file, lstat '${p.toString('latin1')}'`), { code: 'ENOENT' });
      return { isDirectory: () => kind === 'dir' };
    },
    mkdir: async (p) => {
      calls.push(`mkdir ${p.toString('latin1')}`);
    },
    rename: async (a, b) => {
      if (fail) throw fail;
      calls.push(`rename ${a.toString('latin1')} ${b.toString('latin1')}`);
    },
  };
  return { fs, calls };
}

describe('localRenamer', () => {
  it.each([
    ['a file, parent created first', { '/r/a': 'file' }, { from: 'a', to: 'x/\xff', isDir: false }, { ok: true }, ['mkdir /r/x', 'rename /r/a /r/x/\xff']],
    ['a file over a file', { '/r/a': 'file', '/r/b': 'file' }, { from: 'a', to: 'b', isDir: false }, { ok: true }, ['mkdir /r', 'rename /r/a /r/b']],
    ['a file onto a directory: refused', { '/r/a': 'file', '/r/b': 'dir' }, { from: 'a', to: 'b', isDir: false }, { ok: false, error: 'the replica has a directory at the new path' }, []],
    ['a directory onto a file: refused', { '/r/a': 'dir', '/r/b': 'file' }, { from: 'a', to: 'b', isDir: true }, { ok: false, error: 'the replica has a file at the new path' }, []],
    ['old path of another type: refused', { '/r/a': 'file' }, { from: 'a', to: 'b', isDir: true }, { ok: false, error: 'the replica has a file at the old path' }, []],
    ['old path missing', {}, { from: 'a', to: 'b', isDir: false }, { ok: false, error: "ENOENT: no such file, lstat '/r/a'" }, []],
  ] as const)('%s', async (_n, entries, move, want, calls) => {
    const f = fakeFs(entries);
    expect(await localRenamer('/r', f.fs).rename(move)).toEqual(want);
    expect(f.calls).toEqual(calls);
  });

  it('reports a failing rename(2) as an outcome', async () => {
    const f = fakeFs({ '/r/a': 'dir', '/r/b': 'dir' }, Object.assign(new Error('directory not empty'), { code: 'ENOTEMPTY' }));
    expect(await localRenamer('/r', f.fs).rename({ from: 'a', to: 'b', isDir: true })).toEqual({ ok: false, error: 'ENOTEMPTY: directory not empty' });
  });
});

describe('sshRenamer', () => {
  const spec: ReplicaSpec = {
    name: 's',
    target: { kind: 'ssh', host: 'web1', path: '/srv' },
    targetText: 'web1:/srv',
    knownHostsFile: '/nonexistent/known_hosts',
    identityFile: '/k',
    rsyncOptions: [],
    renames: true,
    rsyncPath: 'rsync',
  };

  it('refuses to connect without a readable known_hosts, then pauses before trying again', async () => {
    const clock = new FakeClock();
    let reads = 0;
    const r = sshRenamer(spec, { connectTimeoutS: 1, ioTimeoutS: 1 }, {
      clock,
      readFile: async (p) => {
        reads++;
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${p}'`), { code: 'ENOENT' });
      },
    });
    const first = await r.rename({ from: 'a', to: 'b', isDir: false });
    expect(first).toEqual({ ok: false, error: "cannot read known_hosts /nonexistent/known_hosts: ENOENT: no such file or directory, open '/nonexistent/known_hosts'" });
    clock.advance(defaults.sshReconnectPauseMs - 1);
    const second = await r.rename({ from: 'a', to: 'b', isDir: false });
    expect(second.ok).toBe(false);
    expect(reads).toBe(1);
    clock.advance(1);
    await r.rename({ from: 'a', to: 'b', isDir: false });
    expect(reads).toBe(2);
    await r.close();
  });

  it('skips names that are not valid UTF-8 without connecting', async () => {
    let reads = 0;
    const r = sshRenamer(spec, { connectTimeoutS: 1, ioTimeoutS: 1 }, { readFile: async () => (reads++, Buffer.from('')) });
    expect(await r.rename({ from: '\xff', to: 'b', isDir: false })).toMatchObject({ ok: false, error: expect.stringMatching(/not valid UTF-8/) });
    expect(reads).toBe(0);
  });

  it('only takes ssh targets', () => {
    expect(() => sshRenamer({ ...spec, target: { kind: 'local', path: '/x' } }, { connectTimeoutS: 1, ioTimeoutS: 1 })).toThrow(/ssh target/);
  });
});
