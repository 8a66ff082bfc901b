import { describe, expect, it } from 'vitest';
import { fillCommand, fillDir, freeCommand, parseDf } from './disk.js';
import { killCommand } from './signal.js';

describe('disk fill', () => {
  it('parses POSIX df output (Linux and FreeBSD, mount points with spaces)', () => {
    expect(parseDf('Filesystem     1024-blocks  Used Available Capacity Mounted on\nlm-data             262144     4    262140       1% /srv\n')).toEqual({
      availBytes: 262140 * 1024,
      mountPoint: '/srv',
    });
    expect(parseDf('Filesystem 1024-blocks Used Avail Capacity  Mounted on\n/dev/md9        253678     8   -5000   102%    /srv data\n')).toEqual({
      availBytes: 0,
      mountPoint: '/srv data',
    });
    expect(() => parseDf('garbage')).toThrow(/df/);
  });

  it('fills beside the data dir, never on / nor inside the data dir', () => {
    expect(fillDir('/srv/data', '/srv')).toBe('/srv');
    expect(fillDir('/srv/data/', '/srv/')).toBe('/srv');
    expect(() => fillDir('/srv/data', '/')).toThrow(/root filesystem/);
    expect(() => fillDir('/srv/data', '/srv/data')).toThrow(/mount point itself/);
    expect(() => fillDir('/srv/data', '/var')).toThrow(/does not contain/);
  });

  it('fallocate on Linux, dd until full on FreeBSD; free removes only fill files', () => {
    expect(fillCommand('linux', '/srv/.livemirror-e2e-fill.1.0', 1024).argv).toEqual(['fallocate', '-l', '1024', '--', '/srv/.livemirror-e2e-fill.1.0']);
    const dd = fillCommand('freebsd', '/srv/f', 1024);
    expect(dd.argv).toEqual(['dd', 'if=/dev/zero', 'of=/srv/f', 'bs=1048576']);
    expect(dd.okIf?.test('dd: /srv/f: No space left on device')).toBe(true);
    expect(freeCommand('/srv').argv).toEqual(['find', '/srv', '-maxdepth', '1', '-type', 'f', '-name', '.livemirror-e2e-fill.*', '-delete']);
  });
});

describe('signals', () => {
  it('kill -SIG pid, checked', () => {
    expect(killCommand(123, 'STOP').argv).toEqual(['kill', '-STOP', '123']);
    expect(() => killCommand(0, 'KILL')).toThrow(/pid/);
  });
});
