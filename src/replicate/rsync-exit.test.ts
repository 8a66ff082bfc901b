import { describe, expect, it } from 'vitest';
import { classifyExit, RSYNC_EXIT } from './rsync-exit.js';

describe('RSYNC_EXIT', () => {
  it.each([
    [0, 'ok'],
    [1, 'fatal'],
    [2, 'fatal'],
    [3, 'retry'],
    [4, 'fatal'],
    [5, 'fatal'],
    [6, 'retry'],
    [10, 'retry'],
    [11, 'retry'],
    [12, 'retry'],
    [13, 'retry'],
    [14, 'retry'],
    [20, 'retry'],
    [21, 'retry'],
    [22, 'retry'],
    [23, 'retry'],
    [24, 'ok'],
    [25, 'fatal'],
    [30, 'retry'],
    [35, 'retry'],
    [255, 'retry'],
  ])('code %i → %s', (code, verdict) => {
    const c = classifyExit(code, undefined, '');
    expect(c.verdict).toBe(verdict);
    expect(c.reason.length).toBeGreaterThan(5);
  });

  it('covers every code rsync documents, and nothing else', () => {
    expect(Object.keys(RSYNC_EXIT).map(Number)).toEqual([0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 20, 21, 22, 23, 24, 25, 30, 35, 255]);
  });
});

describe('classifyExit', () => {
  it.each([
    ['unknown code retries', 99, undefined, '', 'retry', 'unknown rsync exit code 99'],
    ['killed by a signal retries', undefined, 'SIGKILL', '', 'retry', 'rsync was killed by SIGKILL'],
    ['no code, no signal retries', undefined, undefined, '', 'retry', 'rsync ended without an exit code'],
    ['wrong daemon password halts', 5, undefined, '@ERROR: auth failed on module mod', 'fatal', RSYNC_EXIT[5]!.reason],
    ['daemon at its limit retries', 5, undefined, '@ERROR: max connections (2) reached -- try again later', 'retry', 'the daemon is at its connection limit'],
    ['ssh refused retries', 255, undefined, 'ssh: connect to host x port 22: Connection refused', 'retry', RSYNC_EXIT[255]!.reason],
    ['host key mismatch halts', 255, undefined, 'Host key verification failed.\r\nrsync: connection unexpectedly closed', 'fatal', 'ssh host key verification failed (check knownHostsFile)'],
    ['ssh auth failure halts', 255, undefined, 'root@x: Permission denied (publickey).', 'fatal', 'ssh authentication failed (check identityFile and the authorized_keys of the replica)'],
    ['remote rsync missing halts', 12, undefined, 'bash: line 1: rsync: command not found', 'fatal', 'rsync is not installed on the replica (or set remoteRsyncPath)'],
    ['stderr rules only apply to their codes', 23, undefined, 'Permission denied (13)', 'retry', RSYNC_EXIT[23]!.reason],
    ['a basis file changed mid-transfer retries', 2, undefined, 'got a block match with no basis file for "/.livemirror/stage/n3-84/n1/f" (in data) [receiver]', 'retry', 'the basis file changed on the replica during the transfer'],
    ['other protocol errors still halt', 2, undefined, 'protocol version mismatch -- is your shell clean?', 'fatal', RSYNC_EXIT[2]!.reason],
  ] as const)('%s', (_name, code, signal, stderr, verdict, reason) => {
    expect(classifyExit(code, signal, stderr)).toEqual({ verdict, reason });
  });
});
