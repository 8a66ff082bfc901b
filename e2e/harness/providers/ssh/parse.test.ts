import { describe, expect, it } from 'vitest';
import { hostKeyAlgorithms } from '../../ssh-connect.js';
import { hostNames, hostsDataSizeMiB, inventoryOf } from './netns-hosts.js';
import { interfaceOf, parseSshConnection } from './parse.js';

describe('parse helpers', () => {
  it('reads the controller from $SSH_CONNECTION', () => {
    expect(parseSshConnection('10.213.7.1 51234 10.213.7.11 22\n')).toEqual({ address: '10.213.7.1', port: 22 });
    expect(parseSshConnection('::1 51234 ::1 22')).toBeUndefined();
    expect(parseSshConnection('')).toBeUndefined();
  });

  it('finds the interface of an address in `ip -o -4 addr show`', () => {
    const text = [
      '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
      '2: eth0    inet 10.0.2.15/24 brd 10.0.2.255 scope global dynamic eth0\\       valid_lft 86000sec',
      '3: eth1    inet 192.168.56.12/24 brd 192.168.56.255 scope global eth1\\       valid_lft forever',
      '4: eth0@if5    inet 10.213.7.11/24 scope global eth0',
    ].join('\n');
    expect(interfaceOf('linux', text, '192.168.56.12')).toBe('eth1');
    expect(interfaceOf('linux', text, '10.213.7.11')).toBe('eth0');
    expect(interfaceOf('linux', text, '192.168.56.1')).toBeUndefined();
  });

  it('finds the interface of an address in FreeBSD ifconfig', () => {
    const text = [
      'em0: flags=8863<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500',
      '\toptions=481009b<RXCSUM,TXCSUM,VLAN_MTU>',
      '\tinet 10.0.2.15 netmask 0xffffff00 broadcast 10.0.2.255',
      'em1: flags=8863<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500',
      '\tinet 192.168.56.11 netmask 0xffffff00 broadcast 192.168.56.255',
      'lo0: flags=8049<UP,LOOPBACK,RUNNING,MULTICAST> metric 0 mtu 16384',
      '\tinet 127.0.0.1 netmask 0xff000000',
    ].join('\n');
    expect(interfaceOf('freebsd', text, '192.168.56.11')).toBe('em1');
    expect(interfaceOf('freebsd', text, '10.0.2.15')).toBe('em0');
  });

  it('asks ssh2 for the pinned host key type', () => {
    expect(hostKeyAlgorithms('ssh-ed25519')).toEqual(['ssh-ed25519']);
    expect(hostKeyAlgorithms('ssh-rsa')).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(hostKeyAlgorithms('sk-ssh-ed25519@openssh.com')).toBeUndefined();
  });
});

describe('netns-hosts', () => {
  it('has one host per node name of every topology, sized for the largest', () => {
    expect(hostNames()).toEqual(['web1', 'web2', 'ftp1', 'web3', 'web4', 'n1', 'n2', 'n3', 'n4', 'src1', 'dst1', 'dst2']);
    expect(hostsDataSizeMiB()).toBe(1024);
  });

  it('describes netns nodes as inventory hosts', () => {
    const inv = inventoryOf([
      {
        name: 'web1',
        role: 'host',
        address: '10.213.7.11',
        ssh: { host: '10.213.7.11', port: 22, user: 'root', privateKey: 'K', privateKeyPath: '/run/k', knownHostsLine: 'L', knownHostsPath: '/run/kh' },
        dataDir: '/srv/data',
        projectDir: '/work/x',
        peer: {
          sshUser: 'root',
          identityFile: '/root/.ssh/id_ed25519',
          knownHostsFile: '/root/.ssh/known_hosts',
          sshConfigFile: '/root/.ssh/config',
          rsyncUser: 'livemirror',
          rsyncModule: 'data',
          rsyncPort: 873,
          rsyncPasswordFile: '/root/.rsync.password',
        },
      },
    ]);
    expect(inv.nodes[0]).toMatchObject({ name: 'web1', os: 'linux', address: '10.213.7.11', identityFile: '/run/k', knownHostsFile: '/run/kh', projectDir: '/work/x' });
    expect(inv.nodes[0]).not.toHaveProperty('sshHost');
  });
});
