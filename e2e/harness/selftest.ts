/**
 * Self-test of the cluster harness on network namespaces. NEEDS ROOT.
 *
 *   npx tsx e2e/harness/selftest.ts          (SEED=... replays the churn)
 *
 * Brings clusters up and down (timed), checks ssh and rsync between nodes with the harness's
 * credentials, runs seeded churn plus a slow upload on one node, copies it with plain rsync to
 * the others and awaits convergence with the oracle, exercises every fault operation, tears
 * down and verifies nothing is left on the machine. Ends with `N passed, N failed`.
 */
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChurnPlanner, churnSeed, runChurn, upload } from './churn.js';
import { connectAll, type NodeSession } from './node.js';
import { findLeftovers, NetnsProvider, type NetnsCluster, snapshotMachine } from './providers/netns.js';
import type { ProcRef } from './providers/shared/proc.js';
import { checkDiskFull, checkHostDown, checkPartition, checkProcessFaults, checkRateLimit } from './selftest-faults.js';
import { check, stepRunner } from './selftest-steps.js';
import { HostKeyMismatchError, connectSsh } from './ssh-connect.js';
import { numberedTopology } from './topologies.js';
import { awaitConverged, ConvergenceError } from './tree.js';

const log = (line: string): void => console.log(line);
const SELF = fileURLToPath(import.meta.url);

/** Child mode: bring a cluster up and SIGKILL ourselves after `ms` (or once it is up). */
async function crashChild(when: string): Promise<void> {
  const provider = new NetnsProvider();
  if (when !== 'up') setTimeout(() => process.kill(process.pid, 'SIGKILL'), Number(when));
  await provider.up(numberedTopology('crash', 2));
  process.kill(process.pid, 'SIGKILL');
}

async function runCrashChild(when: string): Promise<void> {
  const r = await execa(process.execPath, [...process.execArgv, SELF, `--crash-child=${when}`], { reject: false, timeout: 60_000 });
  check(r.signal === 'SIGKILL', `crash child did not die by SIGKILL (exit ${r.exitCode}, ${r.stderr})`);
}

function sshArgs(n: NodeSession): string[] {
  const p = n.info.peer;
  return ['-F', '/dev/null', '-i', p.identityFile, '-o', `UserKnownHostsFile=${p.knownHostsFile}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes'];
}

async function main(): Promise<number> {
  const crash = process.argv.find((a) => a.startsWith('--crash-child='));
  if (crash) {
    await crashChild(crash.slice('--crash-child='.length));
    return 0;
  }
  const before = await snapshotMachine();
  const s = stepRunner(log);
  const provider = new NetnsProvider();
  let cluster: NetnsCluster | undefined;
  let sessions: NodeSession[] = [];
  let procs: ProcRef[] = [];
  let namespaces: string[] = [];
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`${sig}: tearing down`);
    void Promise.all(sessions.map((x) => x.close()))
      .then(() => provider.cleanup({ log }))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await s.step('a run killed during bring-up or after it is cleaned by the next up()', async () => {
      await runCrashChild('60');
      await runCrashChild('up');
      const c = await provider.up(numberedTopology('after-crash', 1), { log });
      await c.down();
    });

    await s.step('timing: 5 nodes up (sshd+rsyncd ready), ssh to all, down; 3 rounds', async () => {
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        const c = await provider.up(numberedTopology('timing', 5));
        const up = performance.now() - t0;
        const ss = await connectAll(c.nodes);
        const ssh = performance.now() - t0 - up;
        await Promise.all(ss.map((x) => x.close()));
        const t1 = performance.now();
        await c.down();
        log(`    round ${i + 1}: up ${up.toFixed(0)} ms, ssh to 5 nodes ${ssh.toFixed(0)} ms, down ${(performance.now() - t1).toFixed(0)} ms`);
      }
    });

    cluster = await s.step('up 3 nodes', () => provider.up(numberedTopology('selftest', 3, 64), { log }));
    if (cluster) {
      procs = cluster.processes();
      namespaces = cluster.namespaces();
    }
    const c = cluster as NetnsCluster;
    sessions = (await s.step('harness ssh to every node (host keys verified)', () => connectAll(c.nodes))) ?? [];
    const [n1, n2, n3] = sessions as [NodeSession, NodeSession, NodeSession];

    await s.step('a wrong host key is refused', async () => {
      const wrong = { ...c.node('n1').ssh, knownHostsLine: c.node('n2').ssh.knownHostsLine.replace(/^\S+/, c.node('n1').address) };
      const err = await connectSsh(wrong, { deadlineMs: 3000 }).then(
        (cl) => {
          cl.end();
          return undefined;
        },
        (e: unknown) => e,
      );
      check(err instanceof HostKeyMismatchError, `expected HostKeyMismatchError, got ${String(err)}`);
    });

    await s.step('each node has its own hostname, data fs and pid namespace', async () => {
      for (const n of sessions) {
        check((await n.run(['hostname'])).trim() === n.name, `${n.name}: wrong hostname`);
        const df = (await n.run(['stat', '-f', '-c', '%T %b %S', n.info.dataDir])).trim().split(' ');
        check(df[0] === 'tmpfs' && Number(df[1]) * Number(df[2]) === 64 * 1048576, `${n.name}: data fs is ${df.join(' ')}`);
        check((await n.run(['cat', '/proc/1/comm'])).trim() === 'bash', `${n.name}: pid 1 is not the node init`);
      }
    });

    await s.step('node-to-node ssh: ~/.ssh/config, explicit key + known_hosts, unknown host key refused', async () => {
      check((await n1.run(['ssh', 'n2', 'hostname'])).trim() === 'n2', 'ssh n2 via config');
      const explicit = await n1.run(['ssh', ...sshArgs(n1), `root@${c.node('n3').address}`, 'hostname']);
      check(explicit.trim() === 'n3', 'ssh n3 with explicit identity and known_hosts');
      const refused = await n1.exec(['ssh', '-F', '/dev/null', '-i', n1.info.peer.identityFile, '-o', 'UserKnownHostsFile=/dev/null', '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', 'n2', 'true']);
      check(refused.code !== 0 && /Host key verification failed/.test(refused.stderr.toString()), 'unknown host key was accepted');
      const password = await n2.exec(['ssh', '-F', '/dev/null', '-o', 'PubkeyAuthentication=no', '-o', `UserKnownHostsFile=${n2.info.peer.knownHostsFile}`, '-o', 'BatchMode=yes', 'n3', 'true']);
      check(password.code !== 0, 'login without a key was accepted');
    });

    await s.step('node-to-node rsync: over ssh and to the rsync daemon (password file)', async () => {
      await n1.run(['mkdir', '-p', '/tmp/probe']);
      await n1.writeFile("/tmp/probe/it's here.txt", 'hello\n');
      await n1.run(['rsync', '-a', '-e', `ssh ${sshArgs(n1).join(' ')}`, '/tmp/probe/', 'n2:/tmp/probe/']);
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

    const seed = churnSeed(log);
    const planner = new ChurnPlanner(seed, { subtree: 'churn', weirdNames: 0.2 });
    await s.step('churn (900 ops at 600/s) and a slow upload (2 MiB in 2 s) on n1', async () => {
      await n1.run(['mkdir', '-p', `${n1.info.dataDir}/uploads`]);
      const [churn, up] = await Promise.all([
        runChurn(n1, planner.next(900), { opsPerSecond: 600 }),
        upload(n1, `${n1.info.dataDir}/uploads/big file.bin`, { totalBytes: 2 * 1048576, durationMs: 2000, chunks: 20 }),
      ]);
      log(`    churn: ${churn.applied} ops in ${churn.elapsedMs.toFixed(0)} ms; upload: ${up.bytes} B in ${up.elapsedMs.toFixed(0)} ms`);
      check(churn.applied === 900, 'not every churn op applied');
    });

    await s.step('plain rsync n1 -> n2 (ssh) and n1 -> n3 (daemon), then the oracle sees convergence', async () => {
      const p = n1.info.peer;
      const src = `${n1.info.dataDir}/`;
      await Promise.all([
        n1.run(['rsync', '-a', '--delete', '-e', `ssh ${sshArgs(n1).join(' ')}`, src, `n2:${n2.info.dataDir}/`]),
        n1.run(['rsync', '-a', '--delete', `--password-file=${p.rsyncPasswordFile}`, src, `rsync://${p.rsyncUser}@n3/${p.rsyncModule}/`]),
      ]);
      await awaitConverged(sessions, { deadlineMs: 10_000, log: (l) => log(`    ${l}`) });
    });

    await s.step('the oracle reports divergent paths by node (non-UTF-8 name)', async () => {
      const name = Buffer.concat([Buffer.from(`${n3.info.dataDir}/stray-`), Buffer.from([0xff]), Buffer.from('.txt')]);
      await n3.run(['cp', '/etc/hostname', name]);
      const err = await awaitConverged(sessions, { deadlineMs: 300, explain: async (n) => `(explain ${n.name})` }).catch((e: unknown) => e);
      check(err instanceof ConvergenceError, 'divergence not detected');
      const msg = (err as Error).message;
      check(msg.includes('stray-\\xff.txt') && /n3\s+file \d+ B/.test(msg) && /n1\s+missing/.test(msg), `unexpected report:\n${msg}`);
      check(msg.includes('--- n2 ---\n(explain n2)'), 'explain text missing');
      await n3.run(['rm', '--', name]);
    });

    await s.step('fault: kill -9 a process by pid, restart, stop, log', () => checkProcessFaults(c, n2, log));
    await s.step('fault: host down and back', () => checkHostDown(c, n1, n2, log));
    await s.step('fault: partition n1|n2 and heal', () => checkPartition(c, n1, n2, n3));
    await s.step('fault: tbf rate limit and clear', () => checkRateLimit(c, n1, n2, log));
    await s.step('fault: disk full and free', () => checkDiskFull(c, n1, n3, log));

    await s.step('after the faults: more churn, rsync, converged', async () => {
      await runChurn(n1, planner.next(300));
      const p = n1.info.peer;
      await Promise.all([
        n1.run(['rsync', '-a', '--delete', `${n1.info.dataDir}/`, `n2:${n2.info.dataDir}/`]),
        n1.run(['rsync', '-a', '--delete', `--password-file=${p.rsyncPasswordFile}`, `${n1.info.dataDir}/`, `rsync://${p.rsyncUser}@n3/${p.rsyncModule}/`]),
      ]);
      await awaitConverged(sessions, { deadlineMs: 10_000, log: (l) => log(`    ${l}`) });
    });
  } finally {
    if (s.failed && cluster) {
      const dir = path.join(cluster.nodes[0]?.projectDir ?? '.', 'e2e/results', `selftest-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      const files = await cluster.saveServiceLogs(dir).catch(() => []);
      log(`  service logs saved: ${files.length} files in ${dir}`);
    }
    await Promise.all(sessions.map((x) => x.close()));
    const t0 = performance.now();
    await provider.cleanup().catch((e: unknown) => log(`cleanup failed: ${String(e)}`));
    log(`  down: ${(performance.now() - t0).toFixed(0)} ms`);
  }
  // Always verified, even when a step failed.
  const leftovers = await findLeftovers(before, namespaces, procs);
  if (leftovers.length) log(`  FAIL nothing left behind:\n    ${leftovers.join('\n    ')}`);
  else log('  ok   nothing left behind (processes, namespaces, netns names, links, mounts, state)');
  log('\nselftest summary:');
  const summary = s.summary().split('\n');
  const last = summary.pop() ?? '';
  for (const l of summary) log(`  ${l}`);
  const [passed, failed] = (last.match(/\d+/g) ?? ['0', '0']).map(Number) as [number, number];
  const ok = leftovers.length === 0;
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
