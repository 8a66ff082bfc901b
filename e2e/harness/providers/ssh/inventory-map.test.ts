import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../../../vagrant/inventory-format.js';
import { topologyByName } from '../../topologies.js';
import { mapInventory, nodeInfoFor, pinnedKnownHostsLine } from './inventory-map.js';

const inv = (names: readonly string[]) =>
  parseInventory(
    JSON.stringify({
      version: 1,
      nodes: names.map((name, i) => ({
        name,
        os: 'linux',
        address: `10.0.0.${11 + i}`,
        identityFile: '/k/id',
        knownHostsFile: '/k/known_hosts',
        dataDir: '/srv/data',
      })),
    }),
    'inv.yaml',
  );

describe('mapInventory', () => {
  it('maps by name when every node of the topology is a host, whatever the order', () => {
    const m = mapInventory(inv(['n9', 'web2', 'web1']), topologyByName('master-slave'), 'inv.yaml');
    expect(m.mode).toBe('name');
    expect(m.pairs.map((p) => `${p.spec.name}=${p.host.name}`)).toEqual(['web1=web1', 'web2=web2']);
  });

  it('takes the first N hosts when none of the names is in the inventory', () => {
    const m = mapInventory(inv(['bsd1', 'deb1', 'deb2', 'deb3', 'deb4']), topologyByName('faults'), 'inv.yaml');
    expect(m.mode).toBe('first');
    expect(m.pairs.map((p) => `${p.spec.name}=${p.host.name}`)).toEqual(['src1=bsd1', 'dst1=deb1', 'dst2=deb2']);
  });

  it('refuses too few hosts, naming the file', () => {
    expect(() => mapInventory(inv(['a1']), topologyByName('master-slave'), '/x/inv.yaml')).toThrow(
      /inventory \/x\/inv\.yaml: topology 'master-slave' needs 2 hosts \(web1, web2\); the inventory has only 1 \(a1\)/,
    );
  });

  it('refuses a partial match of names', () => {
    expect(() => mapInventory(inv(['web1', 'x1', 'x2']), topologyByName('master-slave'), 'inv.yaml')).toThrow(/has web1 but not web2/);
  });
});

describe('pinnedKnownHostsLine', () => {
  const key = 'AAAAC3NzaC1lZDI1NTE5AAAAIBzfhSjsIcwOe2UkL3VUq8tx1L2BI6O1rshl1D+bSxHM';
  const host = inv(['web1']).nodes[0];
  if (!host) throw new Error('no host');

  it('finds the line for address (port 22) or [sshHost]:port and rebuilds it for that name', () => {
    expect(pinnedKnownHostsLine(`web1,10.0.0.11 ssh-ed25519 ${key}\n`, host, 'inv')).toBe(`10.0.0.11 ssh-ed25519 ${key}`);
    const fwd = { ...host, sshHost: '127.0.0.1', port: 2222 };
    expect(pinnedKnownHostsLine(`# c\n10.0.0.11 ssh-rsa AAAA\n[127.0.0.1]:2222,web1 ssh-ed25519 ${key}\n`, fwd, 'inv')).toBe(
      `[127.0.0.1]:2222 ssh-ed25519 ${key}`,
    );
  });

  it('says which host has no pinned key', () => {
    expect(() => pinnedKnownHostsLine(`other ssh-ed25519 ${key}\n`, host, 'inv.yaml')).toThrow(/inventory inv\.yaml: \/k\/known_hosts pins no host key for web1 as 10\.0\.0\.11/);
  });
});

describe('nodeInfoFor', () => {
  it('is the topology node on the host: its address, ssh endpoint, layout and peer access', () => {
    const host = { ...inv(['deb1']).nodes[0], sshHost: '127.0.0.1', port: 2200 } as Parameters<typeof nodeInfoFor>[1];
    const n = nodeInfoFor({ name: 'web1', role: 'master' }, host, { privateKey: 'KEY', knownHostsLine: 'L' });
    expect(n).toMatchObject({
      name: 'web1',
      role: 'master',
      address: '10.0.0.11',
      ssh: { host: '127.0.0.1', port: 2200, user: 'root', privateKey: 'KEY', privateKeyPath: '/k/id', knownHostsLine: 'L', knownHostsPath: '/k/known_hosts' },
      dataDir: '/srv/data',
      projectDir: '/opt/livemirror',
      peer: { sshUser: 'root', identityFile: '/root/.ssh/id_ed25519', knownHostsFile: '/root/.ssh/known_hosts', rsyncModule: 'data', rsyncPort: 873 },
    });
  });
});
