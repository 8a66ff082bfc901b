import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { ENGINE_FILE } from './engine.js';
import { conmonsOf, processes } from './exec-monitors.js';
import { CLUSTER_DIR, containerName, LABEL, LABEL_VALUE, PODMAN_SOCKET, STATE_FILE } from './layout.js';

/**
 * Everything a removed containers cluster might have left, as readable problems (empty =
 * clean): containers or networks with the provider's label (asked through the engine's CLI, so
 * no API service has to be started for it), its state file, cluster directory, podman service
 * record or socket, a conmon still monitoring one of its containers. `cli` and `host` name the engine the cluster used.
 */
export async function findContainerLeftovers(cli: 'podman' | 'docker' = 'podman', host?: string): Promise<string[]> {
  const problems: string[] = [];
  const base = cli === 'docker' && host ? ['-H', host] : [];
  const filter = ['--filter', `label=${LABEL}=${LABEL_VALUE}`];
  const ask = async (args: string[], what: string): Promise<void> => {
    const r = await execa(cli, [...base, ...args, ...filter], { timeout: 30_000, reject: false });
    if (r.exitCode !== 0) problems.push(`${cli} ${args.join(' ')} failed: ${String(r.stderr).trim()}`);
    for (const line of String(r.stdout).split('\n').filter((l) => l.trim() !== '')) problems.push(`${what} ${line.trim()} still there`);
  };
  await ask(['ps', '-a', '--format', '{{.Names}}'], 'container');
  await ask(['network', 'ls', '--format', '{{.Name}}'], 'network');
  for (const [path, what] of [
    [STATE_FILE, 'state file'],
    [CLUSTER_DIR, 'cluster directory'],
    [ENGINE_FILE, 'podman service record'],
    [PODMAN_SOCKET, 'podman socket'],
  ] as const) {
    if (existsSync(path)) problems.push(`${what} ${path} still present`);
  }
  // podman's exec monitors outlive their container (exec-monitors.ts); the teardown stops them.
  for (const c of conmonsOf(processes())) if (c.name?.startsWith(containerName(''))) problems.push(`conmon pid ${c.pid} of container ${c.name} still running`);
  return problems;
}
