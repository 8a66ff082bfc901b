import { describe, expect, it } from 'vitest';
import { hostForUrl, parseTarget } from './target.js';

describe('parseTarget', () => {
  it.each([
    ['/srv/www', { kind: 'local', path: '/srv/www' }],
    ['/srv/www/', { kind: 'local', path: '/srv/www' }],
    ['/', { kind: 'local', path: '/' }],
    ['mirror', { kind: 'local', path: 'mirror' }],
    ['./mirror/', { kind: 'local', path: './mirror' }],
    ['../a:b', { kind: 'local', path: '../a:b' }],
    ['/data/a:b', { kind: 'local', path: '/data/a:b' }],
    ['dir/x:y', { kind: 'local', path: 'dir/x:y' }],
    ['web1:/srv/www', { kind: 'ssh', host: 'web1', path: '/srv/www' }],
    ['web1:/srv/www/', { kind: 'ssh', host: 'web1', path: '/srv/www' }],
    ['deploy@web1.example.com:/srv/www', { kind: 'ssh', user: 'deploy', host: 'web1.example.com', path: '/srv/www' }],
    ['web1:mirror', { kind: 'ssh', host: 'web1', path: 'mirror' }],
    ['web1:.', { kind: 'ssh', host: 'web1', path: '.' }],
    ['10.0.0.2:/x', { kind: 'ssh', host: '10.0.0.2', path: '/x' }],
    ['[::1]:/srv/www', { kind: 'ssh', host: '::1', path: '/srv/www' }],
    ['root@[fe80::1%eth0]:/srv', { kind: 'ssh', user: 'root', host: 'fe80::1%eth0', path: '/srv' }],
    ['web1:/a b/c:d', { kind: 'ssh', host: 'web1', path: '/a b/c:d' }],
    ['ssh://deploy@web1:2222/srv/www', { kind: 'ssh', user: 'deploy', host: 'web1', port: 2222, path: '/srv/www' }],
    ['ssh://[::1]:2222/srv', { kind: 'ssh', host: '::1', port: 2222, path: '/srv' }],
    ['rsync://web1/www', { kind: 'daemon', host: 'web1', module: 'www', path: '' }],
    ['rsync://web1/www/', { kind: 'daemon', host: 'web1', module: 'www', path: '' }],
    ['rsync://sync@web1:8873/www/site/a', { kind: 'daemon', user: 'sync', host: 'web1', port: 8873, module: 'www', path: 'site/a' }],
    ['rsync://[::1]:873/mod/p/', { kind: 'daemon', host: '::1', port: 873, module: 'mod', path: 'p' }],
    ['RSYNC://web1/www', { kind: 'daemon', host: 'web1', module: 'www', path: '' }],
    ['web1::www', { kind: 'daemon', host: 'web1', module: 'www', path: '' }],
    ['sync@web1::www/site', { kind: 'daemon', user: 'sync', host: 'web1', module: 'www', path: 'site' }],
  ])('%s', (text, want) => {
    expect(parseTarget(text)).toEqual(want);
  });

  it.each([
    ['ftp://x', 'expected rsync://host/module or host:/path or /local/path, got "ftp://x"'],
    ['', 'expected rsync://host/module or host:/path or /local/path, got ""'],
    ['http://web1/x', 'expected rsync://host/module or host:/path or /local/path, got "http://web1/x"'],
    ['web1:', 'an empty remote path (use host:. for the home directory) in "web1:"'],
    [':/srv', 'a malformed host in ":/srv"'],
    ['-oProxyCommand=evil:/srv', 'a bad host name "-oProxyCommand=evil" in "-oProxyCommand=evil:/srv"'],
    ['-l@web1:/srv', 'a bad user name "-l" in "-l@web1:/srv"'],
    ['a;b:/srv', 'a bad host name "a;b" in "a;b:/srv"'],
    ['[zz]:/srv', 'a bad IPv6 address "[zz]" in "[zz]:/srv"'],
    ['rsync://web1', 'no rsync module (rsync://host/module) in "rsync://web1"'],
    ['rsync://web1/', 'no rsync module (rsync://host/module) in "rsync://web1/"'],
    ['rsync://web1:0/m', 'a bad port "0" in "rsync://web1:0/m"'],
    ['rsync://web1:99999/m', 'a bad port "99999" in "rsync://web1:99999/m"'],
    ['rsync://web1:x/m', 'a bad port "x" in "rsync://web1:x/m"'],
    ['rsync:///m', 'no host in "rsync:///m"'],
    ['ssh://web1', 'an empty remote path in "ssh://web1"'],
    ['web1::', 'no rsync module (rsync://host/module) in "web1::"'],
    ['a\0b', 'a NUL byte in "a\0b"'],
  ])('rejects %j', (text, error) => {
    expect(parseTarget(text)).toEqual({ error });
  });
});

describe('hostForUrl', () => {
  it.each([
    ['web1', 'web1'],
    ['10.0.0.1', '10.0.0.1'],
    ['::1', '[::1]'],
  ])('%s → %s', (host, want) => expect(hostForUrl(host)).toBe(want));
});
