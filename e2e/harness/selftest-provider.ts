/**
 * Self-test of one cluster provider through the Cluster interface only. NEEDS ROOT.
 *
 *   npx tsx e2e/harness/selftest-provider.ts [--provider NAME]     (default E2E_PROVIDER or netns)
 *
 * Brings 3 nodes up (timed), checks the harness's ssh to each (host keys pinned), hostnames and
 * the data filesystem, node-to-node ssh and rsync (over ssh and to the rsync daemon), every fault
 * operation (selftest-faults.ts), then takes the cluster down (timed), brings it up and down
 * once more (the warm figures), and verifies the provider left nothing behind. Ends with
 * `N passed, N failed`. The netns-only checks (crash during bring-up, namespaces, churn) stay
 * in selftest.ts.
 */
import { findContainerLeftovers } from './providers/containers.js';
import { findLeftovers, type MachineSnapshot, NetnsCluster, snapshotMachine } from './providers/netns.js';
import type { Cluster } from './cluster.js';
import { connectAll, type NodeSession } from './node.js';
import { providerByName } from './providers/index.js';
import { loadState as loadContainersState } from './providers/containers/state.js';
import { checkDiskFull, checkHostDown, checkPartition, checkProcessFaults, checkRateLimit } from './selftest-faults.js';
import { check, stepRunner } from './selftest-steps.js';
import { numberedTopology } from './topologies.js';

const log = (line: string): void => console.log(line);

function providerName(argv: readonly string[]): string {
  const at = argv.indexOf('--provider');
  if (at >= 0 && argv[at + 1]) return argv[at + 1] as string;
  return argv.find((a) => a.startsWith('--provider='))?.slice('--provider='.length) ?? process.env['E2E_PROVIDER'] ?? 'netns';
}

/** What the provider may have left on the machine (empty = nothing). */
type LeftoverCheck = () => Promise<string[]>;

async function leftoverCheck(name: string, cluster: Cluster | undefined, before: MachineSnapshot | undefined): Promise<LeftoverCheck> {
  if (name === 'netns' && before) {
    const procs = cluster instanceof NetnsCluster ? cluster.processes() : [];
    const namespaces = cluster instanceof NetnsCluster ? cluster.namespaces() : [];
    return () => findLeftovers(before, namespaces, procs);
  }
  if (name === 'containers') {
    const engine = loadContainersState()?.engine;
    return () => findContainerLeftovers(engine?.cli, engine?.host);
  }
  return async () => [];
}

async function main(): Promise<number> {
  const name = providerName(process.argv.slice(2));
  const provider = await providerByName(name);
  const before = name === 'netns' ? await snapshotMachine() : undefined;
  const s = stepRunner(log);
  let cluster: Cluster | undefined;
  let sessions: NodeSession[] = [];
  let leftovers: LeftoverCheck = async () => [];
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: tearing down`);
    void Promise.all(sessions.map((x) => x.close()))
      .then(() => provider.cleanup({ log }))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  log(`selftest of provider '${name}'`);

  try {
    cluster = await s.step('up 3 nodes', async () => {
      const t0 = performance.now();
      const c = await provider.up(numberedTopology('selftest', 3, 64), { log });
      log(`    up: ${(performance.now() - t0).toFixed(0)} ms`);
      return c;
    });
    leftovers = await leftoverCheck(name, cluster, before);
    const c = cluster as Cluster;
    sessions = (await s.step('harness ssh to every node (host keys verified)', () => connectAll(c.nodes))) ?? [];
    const [n1, n2, n3] = sessions as [NodeSession, NodeSession, NodeSession];

    await s.step('each node has its hostname, resolves the others, and its data dir on a 64 MiB filesystem of its own', async () => {
      for (const n of sessions) {
        check((await n.run(['hostname'])).trim() === n.name, `${n.name}: wrong hostname`);
        const df = (await n.run(['stat', '-f', '-c', '%T %b %S', n.info.dataDir])).trim().split(' ');
        check(Number(df[1]) * Number(df[2]) === 64 * 1048576, `${n.name}: data fs is ${df.join(' ')}`);
        for (const o of c.nodes) {
          const got = (await n.run(['getent', 'hosts', o.name])).trim().split(/\s+/)[0];
          check(got === o.address, `${n.name}: ${o.name} resolves to ${got}, not ${o.address}`);
        }
        check((await n.run(['node', '-e', 'process.stdout.write(process.version)'])) === process.version, `${n.name}: node is not this machine's`);
        check((await n.exec(['test', '-f', `${n.info.projectDir}/dist/cli/main.js`])).code === 0, `${n.name}: the built project is not at ${n.info.projectDir}`);
      }
    });

    await s.step('node-to-node ssh (config, pinned host keys) and rsync over ssh and to the daemon', async () => {
      check((await n1.run(['ssh', 'n2', 'hostname'])).trim() === 'n2', 'ssh n2 via ~/.ssh/config');
      const refused = await n1.exec(['ssh', '-F', '/dev/null', '-i', n1.info.peer.identityFile, '-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', 'n2', 'true']);
      check(refused.code !== 0 && /Host key verification failed/.test(refused.stderr.toString()), 'unknown host key was accepted');
      await n1.run(['mkdir', '-p', '/tmp/probe']);
      await n1.writeFile("/tmp/probe/it's here.txt", 'hello\n');
      await n1.run(['rsync', '-a', '/tmp/probe/', 'n2:/tmp/probe/']);
      check((await n2.readFile("/tmp/probe/it's here.txt")).toString() === 'hello\n', 'rsync over ssh did not deliver');
      const p = n1.info.peer;
      const list = await n1.run(['rsync', `--password-file=${p.rsyncPasswordFile}`, `rsync://${p.rsyncUser}@n3:${p.rsyncPort}/`]);
      check(list.includes(p.rsyncModule), `module '${p.rsyncModule}' not listed: ${list}`);
      await n1.run(['rsync', '-a', `--password-file=${p.rsyncPasswordFile}`, '/tmp/probe/', `rsync://${p.rsyncUser}@n3/${p.rsyncModule}/probe/`]);
      check((await n3.readFile(`${n3.info.dataDir}/probe/it's here.txt`)).toString() === 'hello\n', 'rsync to the daemon did not deliver');
      const bad = await n1.exec(['rsync', '/tmp/probe/', `rsync://${p.rsyncUser}@n3/${p.rsyncModule}/x/`], { env: { RSYNC_PASSWORD: 'wrong' } });
      check(bad.code !== 0, 'rsync daemon accepted a wrong password');
      await n3.run(['rm', '-rf', '--', `${n3.info.dataDir}/probe`]);
    });

    await s.step('fault: kill -9 a process by pid, restart, stop, log', () => checkProcessFaults(c, n2, log));
    await s.step('fault: host down and back', () => checkHostDown(c, n1, n2, log));
    await s.step('fault: partition n1|n2 and heal', () => checkPartition(c, n1, n2, n3));
    await s.step('fault: tbf rate limit and clear', () => checkRateLimit(c, n1, n2, log));
    await s.step('fault: disk full and free', () => checkDiskFull(c, n1, n3, log));
    await s.step('shellArgv names a command', async () => {
      const argv = c.shellArgv('n1');
      check(argv.length > 1, `shellArgv: ${argv.join(' ')}`);
      log(`    shell: ${argv.join(' ')}`);
    });
  } finally {
    await Promise.all(sessions.map((x) => x.close()));
    const t0 = performance.now();
    await (cluster ? cluster.down() : provider.cleanup({ log })).catch((e: unknown) => log(`down failed: ${String(e)}`));
    log(`  down: ${(performance.now() - t0).toFixed(0)} ms`);
  }
  if (!s.failed) {
    await s.step('warm round: up 3 nodes, ssh to all, down', async () => {
      const t0 = performance.now();
      const c = await provider.up(numberedTopology('selftest-warm', 3, 64));
      const up = performance.now() - t0;
      const ss = await connectAll(c.nodes);
      const ssh = performance.now() - t0 - up;
      await Promise.all(ss.map((x) => x.close()));
      const t1 = performance.now();
      await c.down();
      log(`    up ${up.toFixed(0)} ms, ssh to 3 nodes ${ssh.toFixed(0)} ms, down ${(performance.now() - t1).toFixed(0)} ms`);
    });
  }
  const left = await leftovers();
  if (left.length) log(`  FAIL nothing left behind:\n    ${left.join('\n    ')}`);
  else log('  ok   nothing left behind');
  log('\nselftest summary:');
  const summary = s.summary().split('\n');
  const last = summary.pop() ?? '';
  for (const l of summary) log(`  ${l}`);
  const [passed, failed] = (last.match(/\d+/g) ?? ['0', '0']).map(Number) as [number, number];
  const ok = left.length === 0;
  log(`${passed + (ok ? 1 : 0)} passed, ${failed + (ok ? 0 : 1)} failed`);
  return s.failed || !ok ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
