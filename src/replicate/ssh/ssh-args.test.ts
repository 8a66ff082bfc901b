import { describe, expect, it } from 'vitest';
import type { ReplicaSpec } from '../../core/replica-spec.js';
import type { Target } from '../../core/target.js';
import { controlPathOption, MAX_SOCKET_PATH_BYTES, masterArgs, sharedOptions, socketPathFits, sshOptions } from './ssh-args.js';

function spec(target: Target, extra: Partial<ReplicaSpec> = {}): ReplicaSpec {
  return { name: 'r', target, targetText: 'x', rsyncOptions: [], renames: true, rsyncPath: 'rsync', ...extra };
}

const o = { connectTimeoutS: 10, serverAliveIntervalS: 10, serverAliveCountMax: 3 };
const S = '/run/user/0/livemirror-42-Ab3dE9/master.sock';

describe('masterArgs', () => {
  it('-M -N in the foreground with keepalives, the same options as every ssh of the replica, host last', () => {
    const s = spec({ kind: 'ssh', user: 'deploy', host: 'web1', path: '/srv' }, { identityFile: '/k/id', knownHostsFile: '/k/kh', sshPort: 2222 });
    expect(masterArgs(s, S, o)).toEqual([
      '-M',
      '-N',
      '-o',
      `ControlPath=${S}`,
      '-o',
      'ControlPersist=no',
      '-o',
      'ServerAliveInterval=10',
      '-o',
      'ServerAliveCountMax=3',
      ...sshOptions(s, 10),
      '-l',
      'deploy',
      '--',
      'web1',
    ]);
  });
  it('an IPv6 host goes bare, a port in the target wins, no user means none', () => {
    const args = masterArgs(spec({ kind: 'ssh', host: '::1', port: 22022, path: '/p' }, { sshPort: 2222 }), S, o);
    expect(args.slice(-2)).toEqual(['--', '::1']);
    expect(args).not.toContain('-l');
    expect(args[args.indexOf('-p') + 1]).toBe('22022');
  });
  it('refuses other targets', () => {
    expect(() => masterArgs(spec({ kind: 'local', path: '/x' }), S, o)).toThrow(/ssh target/);
  });
});

describe('controlPathOption / sharedOptions', () => {
  it.each([
    [S, `ControlPath=${S}`],
    ['/tmp/a b/s', 'ControlPath="/tmp/a b/s"'],
    ['/tmp/100%/s', 'ControlPath=/tmp/100%%/s'],
    ['/tmp/q"x\\y', 'ControlPath="/tmp/q\\"x\\\\y"'],
    ["/tmp/it's", `ControlPath="/tmp/it's"`],
  ])('%s → %s', (p, want) => expect(controlPathOption(p)).toBe(want));
  it('clients never become masters', () => expect(sharedOptions(S)).toEqual(['-o', `ControlPath=${S}`, '-o', 'ControlMaster=no']));
});

describe('socketPathFits', () => {
  it('leaves room for the 17 bytes ssh appends and the BSDs\' 104-byte sun_path', () => {
    expect(MAX_SOCKET_PATH_BYTES).toBe(86);
    expect(socketPathFits(`/${'a'.repeat(85)}`)).toBe(true);
    expect(socketPathFits(`/${'a'.repeat(86)}`)).toBe(false);
    expect(socketPathFits(`/${'é'.repeat(43)}`)).toBe(false); // bytes, not characters
  });
});
