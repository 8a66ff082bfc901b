import { describe, expect, it } from 'vitest';
import { deliverArgs, destinationArg, fileList, listOnlyArgs, stageArgs, quoteRshArg, rsyncArgs, sourceArg, sshCommand, type ArgsInput } from './rsync-args.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { Target } from '../core/target.js';

function spec(target: Target, extra: Partial<ReplicaSpec> = {}): ReplicaSpec {
  return { name: 'r', target, targetText: 'x', rsyncOptions: [], renames: true, rsyncPath: 'rsync', ...extra };
}

const local = spec({ kind: 'local', path: '/mnt/replica' });
const ssh = spec(
  { kind: 'ssh', user: 'deploy', host: 'web1', path: '/srv/www' },
  { identityFile: '/etc/livemirror/id_ed25519', knownHostsFile: '/etc/livemirror/known_hosts', sshPort: 2222 },
);
const daemon = spec({ kind: 'daemon', user: 'sync', host: 'web2', port: 8873, module: 'www', path: 'site' }, { passwordFile: '/etc/lm.pw' });
const tunables = { ioTimeoutS: 60, connectTimeoutS: 10 };
const excludes = ['*.tmp', '/cache/'];

const input = (s: ReplicaSpec, extra: Partial<ArgsInput> = {}): ArgsInput => ({ spec: s, tunables, root: '/srv/src', excludes, ...extra });

const SSH_E =
  'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=10 -o UserKnownHostsFile=/etc/livemirror/known_hosts -i /etc/livemirror/id_ed25519 -o IdentitiesOnly=yes -p 2222';
const LIST = ['--from0', '--files-from=-', '--delete-missing-args', '--force'];

describe('rsyncArgs', () => {
  it.each([
    ['files, local', 'files', input(local), ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', ...LIST, '/srv/src/', '/mnt/replica/']],
    ['files, local, fuzzy', 'files', input(local, { fuzzy: true }), ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', ...LIST, '--fuzzy', '/srv/src/', '/mnt/replica/']],
    ['deletes, local (never fuzzy)', 'deletes', input(local, { fuzzy: true }), ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', ...LIST, '/srv/src/', '/mnt/replica/']],
    [
      'tree, local',
      'tree',
      input(local),
      ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', '-r', '--delete', ...LIST, '--exclude=*.tmp', '--exclude=/cache/', '/srv/src/', '/mnt/replica/'],
    ],
    [
      'full, local',
      'full',
      input(local),
      ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', '--delete', '--force', '--exclude=*.tmp', '--exclude=/cache/', '/srv/src/', '/mnt/replica/'],
    ],
    [
      'full, local, progress',
      'full',
      input(local, { excludes: [], progress: true }),
      ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', '--delete', '--force', '--info=progress2', '/srv/src/', '/mnt/replica/'],
    ],
    ['files, ssh', 'files', input(ssh), ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', '-e', SSH_E, ...LIST, '/srv/src/', 'deploy@web1:/srv/www/']],
    [
      'tree, ssh',
      'tree',
      input(ssh),
      ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', '-e', SSH_E, '-r', '--delete', ...LIST, '--exclude=*.tmp', '--exclude=/cache/', '/srv/src/', 'deploy@web1:/srv/www/'],
    ],
    [
      'full, ssh with user options and remote rsync path',
      'full',
      input({ ...ssh, rsyncOptions: ['-H', '--numeric-ids'], remoteRsyncPath: '/usr/local/bin/rsync' }, { excludes: [] }),
      ['-a', '-H', '--numeric-ids', '-s', '--timeout=60', '--modify-window=-1', '--stats', '-e', SSH_E, '--rsync-path=/usr/local/bin/rsync', '--delete', '--force', '/srv/src/', 'deploy@web1:/srv/www/'],
    ],
    [
      'files, daemon, fuzzy',
      'files',
      input(daemon, { fuzzy: true }),
      ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', '--contimeout=10', '--sockopts=TCP_NODELAY', '--password-file=/etc/lm.pw', ...LIST, '--fuzzy', '/srv/src/', 'rsync://sync@web2:8873/www/site/'],
    ],
    [
      'deletes, daemon',
      'deletes',
      input(daemon),
      ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', '--contimeout=10', '--sockopts=TCP_NODELAY', '--password-file=/etc/lm.pw', ...LIST, '/srv/src/', 'rsync://sync@web2:8873/www/site/'],
    ],
    [
      'full, daemon',
      'full',
      input(daemon),
      [
        '-a',
        '-s',
        '--timeout=60',
        '--modify-window=-1',
        '--stats',
        '--contimeout=10',
        '--sockopts=TCP_NODELAY',
        '--password-file=/etc/lm.pw',
        '--delete',
        '--force',
        '--exclude=*.tmp',
        '--exclude=/cache/',
        '/srv/src/',
        'rsync://sync@web2:8873/www/site/',
      ],
    ],
  ] as const)('%s', (_name, pass, inp, want) => {
    expect(rsyncArgs(pass, inp)).toEqual(want);
  });

  it('never puts a listed path on the command line', () => {
    const argv = rsyncArgs('files', input(local));
    expect(argv.filter((a) => !a.startsWith('-'))).toEqual(['/srv/src/', '/mnt/replica/']);
  });
});

describe('listOnlyArgs', () => {
  it.each([
    ['local', local, ['-s', '--timeout=60', '--modify-window=-1', '--list-only', '--exclude=*', '/mnt/replica/']],
    ['ssh', ssh, ['-s', '--timeout=60', '--modify-window=-1', '-e', SSH_E, '--list-only', '--exclude=*', 'deploy@web1:/srv/www/']],
    ['daemon', daemon, ['-s', '--timeout=60', '--modify-window=-1', '--contimeout=10', '--sockopts=TCP_NODELAY', '--password-file=/etc/lm.pw', '--list-only', '--exclude=*', 'rsync://sync@web2:8873/www/site/']],
  ])('%s', (_name, s, want) => expect(listOnlyArgs(input(s))).toEqual(want));
});

describe('destinationArg', () => {
  it.each([
    [{ kind: 'local', path: '/mnt/r' }, '/mnt/r/'],
    [{ kind: 'local', path: '/' }, '/'],
    [{ kind: 'local', path: '-rel' }, './-rel/'],
    [{ kind: 'ssh', host: 'web1', path: '/srv' }, 'web1:/srv/'],
    [{ kind: 'ssh', host: 'web1', path: 'mirror' }, 'web1:mirror/'],
    [{ kind: 'ssh', user: 'u', host: '::1', path: '/srv' }, 'u@[::1]:/srv/'],
    [{ kind: 'ssh', host: 'web1', path: '/a b/$(x)' }, 'web1:/a b/$(x)/'],
    [{ kind: 'daemon', host: 'web1', module: 'm', path: '' }, 'rsync://web1/m/'],
    [{ kind: 'daemon', host: '::1', port: 873, module: 'm', path: 'a/b' }, 'rsync://[::1]:873/m/a/b/'],
  ] as const)('%j → %s', (target, want) => {
    expect(destinationArg(spec(target as Target))).toBe(want);
  });
});

describe('sshCommand', () => {
  it.each([
    ['minimal', spec({ kind: 'ssh', host: 'h', path: '/p' }), 'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=5'],
    ['port in the target wins', spec({ kind: 'ssh', host: 'h', port: 22022, path: '/p' }, { sshPort: 2222 }), 'ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=5 -p 22022'],
    [
      'paths with spaces and quotes',
      spec({ kind: 'ssh', host: 'h', path: '/p' }, { identityFile: "/keys/it's key", knownHostsFile: '/k h' }),
      "ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=5 -o 'UserKnownHostsFile=/k h' -i '/keys/it''s key' -o IdentitiesOnly=yes",
    ],
  ])('%s', (_name, s, want) => {
    expect(sshCommand(s, 5)).toBe(want);
    expect(sshCommand(s, 5)).not.toMatch(/StrictHostKeyChecking=no/);
  });

  it('with a control path: the same options, then the socket and ControlMaster=no (never a master of its own)', () => {
    expect(sshCommand(ssh, 10, '/run/user/0/livemirror-42-Ab3dE9/master.sock')).toBe(
      `${SSH_E} -o ControlPath=/run/user/0/livemirror-42-Ab3dE9/master.sock -o ControlMaster=no`,
    );
  });

  it('a control path with spaces, quotes and % reaches ssh as one word it reads back exactly', () => {
    // rsync splits the -e value ('…' groups, '' inside stands for '); ssh then reads the -o
    // value: "…" groups, \ escapes " and \, %% is a literal % (ControlPath expands % tokens).
    const s = spec({ kind: 'ssh', host: 'h', path: '/p' });
    expect(sshCommand(s, 5, "/tmp/my dir/it's %h/master.sock")).toBe(
      `ssh -o BatchMode=yes -o StrictHostKeyChecking=yes -o ConnectTimeout=5 -o 'ControlPath="/tmp/my dir/it''s %%h/master.sock"' -o ControlMaster=no`,
    );
    expect(sshCommand(s, 5, '/tmp/q"uote\\x')).toContain(`-o 'ControlPath="/tmp/q\\"uote\\\\x"'`);
  });
});

describe('rsyncArgs over a shared ssh connection', () => {
  const socket = '/tmp/livemirror-7-x1Y2z3/master.sock';
  const shared = `${SSH_E} -o ControlPath=${socket} -o ControlMaster=no`;
  it.each(['files', 'deletes', 'tree', 'full'] as const)('%s: -e carries the control path', (pass) => {
    const argv = rsyncArgs(pass, input(ssh, { controlPath: socket }));
    expect(argv[argv.indexOf('-e') + 1]).toBe(shared);
    expect(argv.filter((a) => a === '-e')).toHaveLength(1);
  });
  it('mesh runs carry it too; without one, -e is the plain command', () => {
    expect(deliverArgs({ ...input(ssh, { controlPath: socket }), file: '/m.json' })).toContain(shared);
    expect(stageArgs({ ...input(ssh, { controlPath: socket }), stageId: 's', full: false })).toContain(shared);
    expect(rsyncArgs('tree', input(ssh))).toContain(SSH_E);
  });
  it('local and daemon targets ignore it', () => {
    expect(rsyncArgs('tree', input(local, { controlPath: socket }))).toEqual(rsyncArgs('tree', input(local)));
    expect(rsyncArgs('tree', input(daemon, { controlPath: socket }))).toEqual(rsyncArgs('tree', input(daemon)));
  });
});

describe('quoteRshArg', () => {
  it.each([
    ['plain', 'plain'],
    ['', "''"],
    ['a b', "'a b'"],
    ["it's", "'it''s'"],
    ['say "x"', `'say "x"'`],
    ['tab\there', "'tab\there'"],
  ])('%j → %s', (word, want) => expect(quoteRshArg(word)).toBe(want));
});

describe('sourceArg', () => {
  it.each([
    ['/srv/src', '/srv/src/'],
    ['/srv/src/', '/srv/src/'],
    ['/', '/'],
  ])('%s → %s', (root, want) => expect(sourceArg(root)).toBe(want));
});

describe('fileList', () => {
  it('joins the raw bytes with NUL terminators; the root is "."', () => {
    const paths = ['a', 'dir/\n-x', '\xff\xfe', '--delete', ''];
    expect(fileList(paths)).toEqual(Buffer.from([...Buffer.from('./a'), 0, ...Buffer.from('./dir/\n-x'), 0, 0x2e, 0x2f, 0xff, 0xfe, 0, ...Buffer.from('./--delete'), 0, 0x2e, 0]));
  });
  it('is empty for no paths', () => expect(fileList([]).length).toBe(0));
});

describe('mesh peer arguments', () => {
  const COMMON = ['-a', '-s', '--timeout=60', '--modify-window=-1', '--stats', '--omit-dir-times', '--compare-dest=../../..'];
  it('stages a batch from a NUL list into the peer\'s stage directory, comparing against its live tree', () => {
    expect(stageArgs({ ...input(local), stageId: 'n1-7', full: false })).toEqual([...COMMON, '--from0', '--files-from=-', '--ignore-missing-args', '/srv/src/', '/mnt/replica/.livemirror/stage/n1-7/']);
  });
  it('stages a full sync of the tree without the mesh directory and with the excludes, never deleting', () => {
    const args = stageArgs({ ...input(ssh), stageId: 'n1-8', full: true });
    expect(args).toContain('--exclude=/.livemirror/');
    expect(args).toContain('--exclude=/cache/');
    expect(args.some((a) => a.startsWith('--delete'))).toBe(false);
    expect(args.at(-1)).toBe('deploy@web1:/srv/www/.livemirror/stage/n1-8/');
  });
  it('delivers a manifest into the inbox', () => {
    expect(deliverArgs({ ...input(daemon), file: '/var/tmp/m.json' }).slice(-2)).toEqual(['/var/tmp/m.json', 'rsync://sync@web2:8873/www/site/.livemirror/inbox/']);
  });
});
