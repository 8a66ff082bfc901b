import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { topologyByName } from '../topologies.js';
import { providerByName, providerProblem } from './index.js';
import { SshProvider } from './ssh.js';

// Configuration errors only: every case fails before any connection is tried.
let dir: string;
let savedStateDir: string | undefined;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lm-ssh-provider-'));
  savedStateDir = process.env.E2E_SSH_STATE_DIR;
  process.env.E2E_SSH_STATE_DIR = path.join(dir, 'state'); // never the machine's real state
});
afterEach(async () => {
  if (savedStateDir === undefined) delete process.env.E2E_SSH_STATE_DIR;
  else process.env.E2E_SSH_STATE_DIR = savedStateDir;
  await rm(dir, { recursive: true, force: true });
});

async function inventory(nodes: readonly Record<string, unknown>[]): Promise<string> {
  const f = path.join(dir, 'inv.yaml');
  await writeFile(f, JSON.stringify({ version: 1, nodes }));
  return f;
}
const host = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  os: 'linux',
  address: '10.9.9.11',
  identityFile: path.join(dir, 'id'),
  knownHostsFile: path.join(dir, 'known_hosts'),
  dataDir: '/srv/data',
  ...extra,
});

describe('SshProvider configuration errors', () => {
  it('needs an inventory', async () => {
    await expect(providerByName('ssh')).rejects.toThrow(/needs an inventory: --inventory FILE/);
    await expect(new SshProvider(undefined).up(topologyByName('master-slave'))).rejects.toThrow(/needs an inventory/);
  });

  it('the runner\'s checks: an unknown provider lists the known ones; a named inventory must exist', async () => {
    expect(providerProblem('lxc')).toBe("unknown provider 'lxc' (known: netns, ssh, containers)");
    expect(providerProblem('toString')).toMatch(/unknown provider/);
    expect(providerProblem('netns')).toBeUndefined();
    expect(providerProblem('ssh', { inventory: path.join(dir, 'nope.yaml') })).toBe(`--inventory ${path.join(dir, 'nope.yaml')}: no such file`);
    expect(providerProblem('ssh', { inventory: await inventory([host('a')]) })).toBeUndefined();
    await expect(providerByName('lxc')).rejects.toThrow(/unknown provider 'lxc'/);
  });

  it('names a missing inventory file', async () => {
    await expect(new SshProvider(path.join(dir, 'nope.yaml')).up(topologyByName('master-slave'))).rejects.toThrow(/inventory .*nope\.yaml: ENOENT/);
  });

  it('names the inventory when it has too few hosts', async () => {
    const f = await inventory([host('a1')]);
    await expect(new SshProvider(f).up(topologyByName('master-slave'))).rejects.toThrow(`inventory ${f}: topology 'master-slave' needs 2 hosts`);
  });

  it('refuses a host without pinned key, a missing key file, a non-root login', async () => {
    const noPin = await inventory([host('web1', { knownHostsFile: undefined }), host('web2')]);
    await expect(new SshProvider(noPin).up(topologyByName('master-slave'))).rejects.toThrow(/web1 has no knownHostsFile/);
    const noKey = await inventory([host('web1'), host('web2')]);
    await expect(new SshProvider(noKey).up(topologyByName('master-slave'))).rejects.toThrow(/identityFile .*\/id: ENOENT/);
    const user = await inventory([host('web1', { user: 'vagrant' }), host('web2')]);
    await expect(new SshProvider(user).up(topologyByName('master-slave'))).rejects.toThrow(/logs in as 'vagrant': the harness drives hosts as root/);
  });

  it('attach and cleanup with no recorded cluster', async () => {
    const p = new SshProvider(undefined);
    expect(await p.attach()).toBeUndefined();
    await p.cleanup();
  });
});
