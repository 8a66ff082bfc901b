import { describe, expect, it } from 'vitest';
import { isStartupFinished, luaString, lsyncdConfig } from './lsyncd-config.js';

describe('luaString', () => {
  it('keeps plain paths readable', () => expect(luaString('/tmp/lm-bench-x/r1')).toBe('"/tmp/lm-bench-x/r1"'));
  it('escapes quotes, backslashes, newlines and brackets cannot end a long string', () => {
    expect(luaString('a"b\\c\nd]]e')).toBe('"a\\034b\\092c\\010d]]e"');
  });
  it('writes non-ASCII bytes as three-digit escapes, so a following digit cannot join', () => {
    expect(luaString('é1')).toBe('"\\195\\1691"');
  });
});

describe('lsyncdConfig', () => {
  it('default: one default.rsync sync per replica with its defaults, in the foreground', () => {
    expect(lsyncdConfig({ source: '/s', replicas: ['/r1', '/r2'], flavour: 'default' })).toBe(
      [
        "-- written by livemirror's bench/ (default): one sync per replica, in the foreground",
        'settings {',
        '  nodaemon = true,',
        '}',
        'sync {',
        '  default.rsync,',
        '  source = "/s",',
        '  target = "/r1",',
        '}',
        'sync {',
        '  default.rsync,',
        '  source = "/s",',
        '  target = "/r2",',
        '}',
        '',
      ].join('\n'),
    );
  });
  it('tuned: delay 0 and maxProcesses 4 in every sync', () => {
    const c = lsyncdConfig({ source: '/s', replicas: ['/r1', '/r2', '/r3', '/r4'], flavour: 'tuned' });
    expect(c.match(/delay = 0,/g)).toHaveLength(4);
    expect(c.match(/maxProcesses = 4,/g)).toHaveLength(4);
  });
  it('over ssh: the remote target and an rsh in every sync, as Lua strings', () => {
    const c = lsyncdConfig({ source: '/s', replicas: ['lmbench@127.0.0.1:/r1'], flavour: 'tuned', rsh: '/usr/bin/ssh -p 2222 -i /k"ey' });
    expect(c).toContain('  target = "lmbench@127.0.0.1:/r1",\n  delay = 0,\n  maxProcesses = 4,\n  rsync = { rsh = "/usr/bin/ssh -p 2222 -i /k\\034ey" },\n}');
  });
  it('no rsh: no rsync table', () => expect(lsyncdConfig({ source: '/s', replicas: ['/r1'], flavour: 'tuned' })).not.toContain('rsync ='));
});

describe('isStartupFinished', () => {
  it("matches lsyncd 2.2's startup line", () => {
    expect(isStartupFinished('03:50:39 Normal: Startup of /tmp/a/source/ -> /tmp/a/r1/ finished.')).toBe(true);
    expect(isStartupFinished('03:50:38 Normal: recursive startup rsync: /tmp/a/source/ -> /tmp/a/r1/')).toBe(false);
  });
});
