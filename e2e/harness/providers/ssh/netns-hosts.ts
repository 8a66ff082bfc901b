/**
 * The ssh provider's self-test: netns nodes taken as pre-existing hosts (NEEDS ROOT).
 *
 *   npx tsx e2e/harness/providers/ssh/netns-hosts.ts up FILE [--nodes N] [--numbered]
 *       brings up a netns cluster (one node per node name of every topology: web1, web2, ftp1,
 *       web3, web4, n1..n4, src1, dst1, dst2 — 12 hosts, /srv 1024 MiB each; --nodes N: the
 *       first N of those; --numbered: named h1..hN instead, so that scenarios map onto the first
 *       N hosts with aliases) and writes an inventory FILE describing its nodes as existing hosts
 *   npx tsx e2e/harness/providers/ssh/netns-hosts.ts down
 *       removes that netns cluster
 *   flock /tmp/lm-e2e.lock npx tsx e2e/harness/providers/ssh/netns-hosts.ts faults FILE
 *       up, every fault operation of the ssh provider on n1..n3 and what down() leaves (ssh/fault-selftest.ts), down
 *   flock /tmp/lm-e2e.lock npx tsx e2e/harness/providers/ssh/netns-hosts.ts run FILE [--numbered] [scenario...]
 *       up, every scenario (or the named ones) through `e2e/run.ts --provider ssh --inventory
 *       FILE`, down. Must hold the cluster lock for the whole run (it refuses when the lock is
 *       free); tells run.ts so with E2E_LOCK=held.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { formatInventory, type InventoryInput } from '../../../../vagrant/inventory-format.js';
import type { NodeInfo, Topology } from '../../cluster.js';
import { topologies } from '../../topologies.js';
import { NetnsProvider } from '../netns.js';
import { faultSelftest } from './fault-selftest.js';

const LOCK_FILE = '/tmp/lm-e2e.lock';
const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

/** Every node name of every topology, in first-seen order (by-name mapping then fits them all). */
export function hostNames(): string[] {
  return [...new Set(Object.values(topologies).flatMap((t) => t.nodes.map((n) => n.name)))];
}

/** The largest data filesystem any topology asks for. */
export function hostsDataSizeMiB(): number {
  return Math.max(...Object.values(topologies).map((t) => t.dataSizeMiB ?? 256));
}

/** An inventory describing netns nodes as existing hosts (pure). */
export function inventoryOf(nodes: readonly NodeInfo[]): InventoryInput {
  return {
    version: 1,
    nodes: nodes.map((n) => ({
      name: n.name,
      os: 'linux' as const,
      address: n.address,
      ...(n.ssh.host === n.address ? {} : { sshHost: n.ssh.host }),
      port: n.ssh.port,
      user: n.ssh.user,
      identityFile: n.ssh.privateKeyPath,
      knownHostsFile: n.ssh.knownHostsPath,
      dataDir: n.dataDir,
      projectDir: n.projectDir,
      rsyncModule: n.peer.rsyncModule,
      rsyncUser: n.peer.rsyncUser,
      rsyncPort: n.peer.rsyncPort,
      rsyncPasswordFile: n.peer.rsyncPasswordFile,
      comment: 'netns node taken as an existing host (e2e/harness/providers/ssh/netns-hosts.ts)',
    })),
  };
}

const log = (line: string): void => console.log(line);

async function up(file: string, count: number | undefined, numbered: boolean): Promise<number> {
  const all = hostNames().slice(0, count);
  const names = numbered ? all.map((_, i) => `h${i + 1}`) : all;
  const topology: Topology = { name: 'netns-hosts', dataSizeMiB: hostsDataSizeMiB(), nodes: names.map((name) => ({ name, role: 'host' })) };
  const t0 = performance.now();
  const cluster = await new NetnsProvider().up(topology, { log });
  const ms = performance.now() - t0;
  const text = formatInventory(inventoryOf(cluster.nodes), ['netns nodes as existing hosts, for the ssh provider (made by netns-hosts.ts up)']);
  await writeFile(file, text, { mode: 0o600 });
  log(`netns-hosts: ${names.length} hosts up in ${ms.toFixed(0)} ms, inventory ${file}`);
  return ms;
}

async function down(): Promise<number> {
  const t0 = performance.now();
  await new NetnsProvider().cleanup({ log });
  const ms = performance.now() - t0;
  log(`netns-hosts: down in ${ms.toFixed(0)} ms`);
  return ms;
}

/** True when someone (our flock parent, normally) holds the cluster lock. */
async function lockHeld(): Promise<boolean> {
  const r = await execa('flock', ['-n', '-E', '75', LOCK_FILE, 'true'], { reject: false, timeout: 10_000 });
  return r.exitCode === 75;
}

async function requireLock(cmd: string, file: string): Promise<void> {
  if (!(await lockHeld())) {
    throw new Error(`${cmd} must hold the cluster lock: flock ${LOCK_FILE} npx tsx ${path.relative(process.cwd(), fileURLToPath(import.meta.url))} ${cmd} ${file} ...`);
  }
}

async function faults(file: string): Promise<number> {
  await requireLock('faults', file);
  const upMs = await up(file, undefined, false);
  try {
    await faultSelftest(file, log);
    log('netns-hosts: fault self-test passed');
    return 0;
  } finally {
    const downMs = await down();
    log(`netns-hosts: hosts up ${upMs.toFixed(0)} ms, down ${downMs.toFixed(0)} ms`);
  }
}

async function run(file: string, scenarios: readonly string[], numbered: boolean): Promise<number> {
  await requireLock('run', file);
  const upMs = await up(file, undefined, numbered);
  let code = 1;
  try {
    const r = await execa('node', ['--import', 'tsx', path.join(REPO, 'e2e', 'run.ts'), '--provider', 'ssh', '--inventory', path.resolve(file), ...scenarios], {
      stdio: 'inherit',
      env: { E2E_LOCK: 'held', E2E_SSH_LOG: '1' },
      reject: false,
      timeout: 90 * 60_000,
      forceKillAfterDelay: 10_000,
    });
    code = r.exitCode ?? 1;
  } finally {
    const downMs = await down();
    log(`netns-hosts: hosts up ${upMs.toFixed(0)} ms, down ${downMs.toFixed(0)} ms`);
  }
  return code;
}

async function main(argv: readonly string[]): Promise<number> {
  const [cmd, file, ...more] = argv;
  const numbered = more.includes('--numbered');
  const rest = more.filter((a) => a !== '--numbered');
  if (cmd === 'up' && file) {
    const at = rest.indexOf('--nodes');
    const n = at >= 0 ? Number(rest[at + 1]) : undefined;
    if (n !== undefined && !(Number.isInteger(n) && n > 0)) throw new Error('--nodes N: a positive integer');
    await up(file, n, numbered);
    return 0;
  }
  if (cmd === 'down') {
    await down();
    return 0;
  }
  if (cmd === 'run' && file) return run(file, rest, numbered);
  if (cmd === 'faults' && file) return faults(file);
  throw new Error('usage: netns-hosts.ts up FILE [--nodes N] [--numbered] | down | run FILE [--numbered] [scenario...] | faults FILE (see the top of the file)');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      console.error(`netns-hosts: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
