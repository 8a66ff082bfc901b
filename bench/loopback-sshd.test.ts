import { describe, expect, it } from 'vitest';
import { knownHostsLine, sshClientArgs, sshdConfig } from './loopback-sshd.js';

describe('sshdConfig', () => {
  const c = sshdConfig({ port: 2222, hostKey: '/t/host', authorizedKeys: '/t/client.pub', pidFile: '/t/pid', user: 'lmbench' });
  it('listens on loopback only, on its port, with its own keys', () => {
    expect(c).toContain('ListenAddress 127.0.0.1\nPort 2222\nHostKey /t/host\nAuthorizedKeysFile /t/client.pub\nPidFile /t/pid\nAllowUsers lmbench\n');
  });
  it('no PAM, no passwords, no root; keys under /tmp allowed', () => {
    for (const l of ['UsePAM no', 'PasswordAuthentication no', 'PermitRootLogin no', 'StrictModes no']) expect(c.split('\n')).toContain(l);
  });
});

describe('knownHostsLine', () => {
  it('names the host with its port, keeps type and key, drops the comment', () => {
    expect(knownHostsLine(2222, 'ssh-ed25519 AAAAC3Nza root@box\n')).toBe('[127.0.0.1]:2222 ssh-ed25519 AAAAC3Nza\n');
  });
  it('refuses what is not a key', () => expect(() => knownHostsLine(22, '\n')).toThrow(/not a public key/));
});

describe('sshClientArgs', () => {
  it('this key only, the host key checked against this file, never a prompt', () => {
    expect(sshClientArgs(2222, '/t/k', '/t/kh')).toEqual(['-p', '2222', '-i', '/t/k', '-o', 'IdentitiesOnly=yes', '-o', 'UserKnownHostsFile=/t/kh', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes']);
  });
});
