import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseKnownHostsLine } from '../e2e/harness/known-hosts.js';
import { main } from './inventory.js';
import { formatInventory, parseInventory } from './inventory-format.js';
import { makeInventory, parseNodesTsv } from './make-inventory.js';
import { parseVagrantSshConfig } from './ssh-config.js';

// The fixtures are Vagrant 2.3.4's own ssh_config template (templates/commands/ssh_config/
// config.erb) rendered with Erubi the way Vagrant renders it, with made-up ports, addresses and
// paths: no VM runs here. ssh-config.virtualbox.txt is the default mix (bsd1, deb1..deb4, forwarded
// ports on 127.0.0.1); ssh-config.libvirt.txt is LM_SHAPE=farm-1to4 (management addresses on
// port 22, a project path with a space, so IdentityFile is quoted).
const HERE = path.dirname(fileURLToPath(import.meta.url));
const fixture = (f: string): string => path.join(HERE, 'fixtures', f);
const run = promisify(execFile);

describe('parseVagrantSshConfig', () => {
  it('reads every Host block Vagrant prints', async () => {
    const hosts = parseVagrantSshConfig(await readFile(fixture('ssh-config.virtualbox.txt'), 'utf8'));
    expect(hosts.map((h) => h.name)).toEqual(['bsd1', 'deb1', 'deb2', 'deb3', 'deb4']);
    expect(hosts[0]).toEqual({
      name: 'bsd1',
      hostName: '127.0.0.1',
      port: 2222,
      user: 'vagrant',
      identityFiles: ['/home/dev/src/livemirror/.vagrant/machines/bsd1/virtualbox/private_key'],
    });
  });

  it('unquotes a path with spaces', async () => {
    const hosts = parseVagrantSshConfig(await readFile(fixture('ssh-config.libvirt.txt'), 'utf8'));
    expect(hosts[0]?.identityFiles).toEqual(['/home/dev/my projects/livemirror/.vagrant/machines/ftp1/libvirt/private_key']);
    expect(hosts.map((h) => [h.hostName, h.port])).toContainEqual(['192.168.121.102', 22]);
  });

  it('keeps a ProxyCommand, refuses what Vagrant never writes', () => {
    expect(parseVagrantSshConfig('Host a\n  HostName h\n  User u\n  ProxyCommand ssh -W %h:%p jump\n')[0]?.proxyCommand).toBe('ssh -W %h:%p jump');
    expect(() => parseVagrantSshConfig('  HostName h\n')).toThrow(/before any Host/);
    expect(() => parseVagrantSshConfig('Host a b\n')).toThrow(/one plain host name/);
    expect(() => parseVagrantSshConfig('Host a\n  User u\n')).toThrow(/no HostName/);
    expect(() => parseVagrantSshConfig('Host a\n  HostName h\n  User u\n  Port 0\n')).toThrow(/bad Port/);
  });
});

describe('makeInventory', () => {
  const nodes = parseNodesTsv('a\tfreebsd\t192.168.56.11\nb\tdebian\t192.168.56.12\n');
  const host = (name: string, port: number) => ({ name, hostName: '127.0.0.1', port, user: 'vagrant', identityFiles: [] });
  const base = {
    nodes,
    identityFile: '/x/id_ed25519',
    knownHostsFile: '/x/known_hosts.controller',
    hostKeys: new Map([
      ['a', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKNy278rziryc/FTGVYHHAuVGjfGprwu1AMUZACMPEEL host a'],
      ['b', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIxuni6Y/LGcnwC9PCq+DR8dulLo3zaG1lpH7L+FYg18 host b'],
    ]),
  };

  it('refuses machines the last vagrant up did not make, and machines that are not up', () => {
    expect(() => makeInventory({ ...base, sshHosts: [host('a', 2222), host('b', 2200), host('c', 2201)] })).toThrow(/lists c, which the last 'vagrant up' did not make/);
    expect(() => makeInventory({ ...base, sshHosts: [host('a', 2222)] })).toThrow(/no entry for b .*--partial/);
  });

  it('--partial leaves out what is not up', () => {
    const made = makeInventory({ ...base, sshHosts: [host('a', 2222)], partial: true });
    expect(made.missing).toEqual(['b']);
    expect(made.inventory.nodes.map((n) => n.name)).toEqual(['a']);
    expect(made.knownHosts).toBe('[127.0.0.1]:2222,a,192.168.56.11 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKNy278rziryc/FTGVYHHAuVGjfGprwu1AMUZACMPEEL\n');
  });

  it('refuses a machine behind a ProxyCommand', () => {
    expect(() => makeInventory({ ...base, sshHosts: [{ ...host('a', 22), proxyCommand: 'ssh jump' }, host('b', 2200)] })).toThrow(/ProxyCommand/);
  });

  it('nodes.tsv must be what secrets.sh writes', () => {
    expect(() => parseNodesTsv('a\tubuntu\t1.2.3.4\n')).toThrow(/line 1/);
    expect(() => parseNodesTsv('\n')).toThrow(/no nodes/);
  });
});

describe('inventory format', () => {
  it('the example parses, with defaults filled in', async () => {
    const inv = parseInventory(await readFile(path.join(HERE, 'inventory.example.yaml'), 'utf8'), 'inventory.example.yaml');
    expect(inv.nodes.map((n) => [n.name, n.os])).toEqual([['bsd1', 'freebsd'], ['deb1', 'linux'], ['lab1', 'linux']]);
    expect(inv.nodes[2]).toMatchObject({ port: 22, user: 'root', projectDir: '/opt/livemirror', rsyncModule: 'data', rsyncUser: 'livemirror', rsyncPort: 873, rsyncPasswordFile: '/root/.rsync.password' });
    expect(inv.nodes[2]?.sshHost).toBeUndefined();
  });

  it('says every problem, by path', () => {
    const bad = 'version: 1\nnodes:\n  - name: A\n    os: windows\n    address: 1.2.3\n    identityFile: key\n    dataDir: /srv/data\n    colour: red\n';
    const msg = (() => { try { parseInventory(bad, 'lab.yaml'); return ''; } catch (e) { return (e as Error).message; } })();
    expect(msg).toMatch(/^lab\.yaml: not a livemirror inventory/);
    for (const p of ['nodes.0.name', 'nodes.0.os', 'nodes.0.address', 'nodes.0.identityFile', 'colour']) expect(msg).toContain(p);
    expect(() => parseInventory('version: 2\nnodes: []\n')).toThrow(/version/);
    const dup = { version: 1 as const, nodes: [1, 2].map(() => ({ name: 'a', os: 'linux' as const, address: '10.0.0.1', identityFile: '/k', dataDir: '/d' })) };
    expect(() => formatInventory(dup)).toThrow(/duplicate node name/);
    expect(() => parseInventory('nodes: [')).toThrow(/not YAML/);
  });
});

describe('vagrant/inventory.ts on saved `vagrant ssh-config` output, with secrets from secrets.sh', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'lm-vagrant-inv-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the default mix under VirtualBox', async () => {
    const secrets = path.join(dir, 'vbox');
    const nodes = ['bsd1=freebsd=192.168.56.11', ...[1, 2, 3, 4].map((i) => `deb${i}=debian=192.168.56.${11 + i}`)];
    await run(path.join(HERE, 'secrets.sh'), ['LM_NODES=bsd:1,deb:4', ...nodes], { env: { ...process.env, LM_SECRETS_DIR: secrets } });
    expect(await readFile(path.join(secrets, 'selector'), 'utf8')).toBe('LM_NODES=bsd:1,deb:4\n');

    const out = path.join(dir, 'inventory.yaml');
    await main(['--secrets', secrets, '--ssh-config', fixture('ssh-config.virtualbox.txt'), '-o', out]);
    const inv = parseInventory(await readFile(out, 'utf8'), out);
    expect(inv.nodes.map((n) => [n.name, n.os, n.address, n.sshHost, n.port])).toEqual([
      ['bsd1', 'freebsd', '192.168.56.11', '127.0.0.1', 2222],
      ['deb1', 'linux', '192.168.56.12', '127.0.0.1', 2200],
      ['deb2', 'linux', '192.168.56.13', '127.0.0.1', 2201],
      ['deb3', 'linux', '192.168.56.14', '127.0.0.1', 2202],
      ['deb4', 'linux', '192.168.56.15', '127.0.0.1', 2203],
    ]);
    for (const n of inv.nodes) {
      expect(n).toMatchObject({ user: 'root', identityFile: path.join(secrets, 'id_ed25519'), dataDir: '/srv/data', rsyncModule: 'data', knownHostsFile: path.join(secrets, 'known_hosts.controller') });
    }

    // The controller's known_hosts pins each node's own host key under its endpoint, name and address.
    const lines = (await readFile(path.join(secrets, 'known_hosts.controller'), 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(5);
    const bsd1 = parseKnownHostsLine(lines[0] ?? '');
    expect(bsd1.patterns).toEqual(['[127.0.0.1]:2222', 'bsd1', '192.168.56.11']);
    const pub = (await readFile(path.join(secrets, 'hosts/bsd1/ssh_host_ed25519_key.pub'), 'utf8')).split(' ')[1];
    expect(bsd1.key.toString('base64')).toBe(pub);
    // The nodes' known_hosts (secrets.sh) has the same key under name and address.
    expect((await readFile(path.join(secrets, 'known_hosts'), 'utf8')).split('\n')[0]).toBe(`bsd1,192.168.56.11 ssh-ed25519 ${pub}`);
  });

  it('farm-1to4 under libvirt: the management address is the ssh host', async () => {
    const secrets = path.join(dir, 'libvirt');
    const nodes = ['ftp1=freebsd=192.168.56.11', ...[1, 2, 3, 4].map((i) => `web${i}=debian=192.168.56.${11 + i}`)];
    await run(path.join(HERE, 'secrets.sh'), ['LM_SHAPE=farm-1to4', ...nodes], { env: { ...process.env, LM_SECRETS_DIR: secrets } });
    await main(['--secrets', secrets, '--ssh-config', fixture('ssh-config.libvirt.txt')]);
    const inv = parseInventory(await readFile(path.join(secrets, 'inventory.yaml'), 'utf8'));
    expect(inv.nodes.map((n) => [n.name, n.sshHost, n.port])).toEqual([
      ['ftp1', '192.168.121.101', 22],
      ['web1', '192.168.121.102', 22],
      ['web2', '192.168.121.103', 22],
      ['web3', '192.168.121.104', 22],
      ['web4', '192.168.121.105', 22],
    ]);
    // Run again for another shape's machines: refused, with the reason.
    await expect(main(['--secrets', secrets, '--ssh-config', fixture('ssh-config.virtualbox.txt'), '-o', '-'])).rejects.toThrow(/bsd1, deb1.*did not make/);
  });

  it('secrets.sh keeps its keys and refuses bad arguments', async () => {
    const secrets = path.join(dir, 'again');
    const env = { ...process.env, LM_SECRETS_DIR: secrets };
    await run(path.join(HERE, 'secrets.sh'), ['LM_NODES=deb:1', 'deb1=debian=192.168.56.11'], { env });
    const key = await readFile(path.join(secrets, 'id_ed25519'), 'utf8');
    await run(path.join(HERE, 'secrets.sh'), ['LM_NODES=deb:2', 'deb1=debian=192.168.56.11', 'deb2=debian=192.168.56.12'], { env });
    expect(await readFile(path.join(secrets, 'id_ed25519'), 'utf8')).toBe(key);
    expect(await readFile(path.join(secrets, 'nodes.tsv'), 'utf8')).toBe('deb1\tdebian\t192.168.56.11\ndeb2\tdebian\t192.168.56.12\n');
    for (const args of [['deb1=debian=192.168.56.11'], ['LM_NODES=deb:1', 'Deb1=debian=192.168.56.11'], ['LM_NODES=deb:1', 'deb1=ubuntu=192.168.56.11'], ['LM_SHAPE=a;b', 'deb1=debian=1.2.3.4']]) {
      await expect(run(path.join(HERE, 'secrets.sh'), args, { env })).rejects.toMatchObject({ code: 2 });
    }
  });
});
