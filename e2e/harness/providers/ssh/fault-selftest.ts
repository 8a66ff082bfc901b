import type { Cluster } from '../../cluster.js';
import { connectAll, type NodeSession } from '../../node.js';
import { checkDiskFull, checkHostDown, checkPartition, checkProcessFaults, checkRateLimit } from '../../selftest-faults.js';
import { check } from '../../selftest-steps.js';
import { numberedTopology } from '../../topologies.js';
import { SshProvider } from '../ssh.js';

/**
 * Every fault operation of the ssh provider, through the Cluster interface, on three inventory
 * hosts n1..n3 (the netns-hosts inventory has them): the netns self-test's checks
 * (selftest-faults.ts), then down() and a look at what is left on the hosts (nothing of ours:
 * nft table, ifb device, tc qdiscs, fill files, processes the harness started).
 */
export async function faultSelftest(inventory: string, log: (line: string) => void): Promise<void> {
  const provider = new SshProvider(inventory);
  const t0 = performance.now();
  const cluster: Cluster = await provider.up(numberedTopology('ssh-faults', 3), { log });
  log(`ssh: up in ${(performance.now() - t0).toFixed(0)} ms`);
  let sessions: NodeSession[] = [];
  try {
    sessions = await connectAll(cluster.nodes);
    const [a, b, c] = sessions as [NodeSession, NodeSession, NodeSession];
    const step = async (what: string, f: () => Promise<void>): Promise<void> => {
      const s = performance.now();
      await f();
      log(`  ok ${what} (${(performance.now() - s).toFixed(0)} ms)`);
    };
    await step('signals, kill -9 out of band, stop/start', () => checkProcessFaults(cluster, a, log));
    await step('disconnect / reconnect', () => checkHostDown(cluster, a, b, log));
    await step('partition / heal', () => checkPartition(cluster, a, b, c));
    await step('rate limit both ways (tbf, ingress via ifb)', () => checkRateLimit(cluster, a, b, log));
    await step('disk full / freed', () => checkDiskFull(cluster, a, b, log));
    // Leave faults in place and a process running: down() must remove them all.
    await cluster.partition(a.name, c.name);
    await cluster.disconnect(c.name);
    await cluster.limitRate(a.name, { kbit: 8000 });
    await cluster.fillDisk(c.name);
    const sleeper = await a.spawnBackground(['sleep', '300'], { logFile: '/tmp/sleeper.log' });
    const t1 = performance.now();
    await cluster.down();
    log(`ssh: down in ${(performance.now() - t1).toFixed(0)} ms`);
    for (const n of sessions) {
      const left: string[] = [];
      const nft = await n.exec(['nft', 'list', 'table', 'inet', 'livemirror_e2e']);
      if (nft.code === 0) left.push('nft table livemirror_e2e');
      const qd = await n.run(['tc', 'qdisc', 'show', 'dev', 'eth0']);
      if (/tbf|ingress/.test(qd)) left.push(`qdisc: ${qd.trim()}`);
      if ((await n.exec(['ip', 'link', 'show', 'lme2e-ifb'])).code === 0) left.push('ifb device');
      const fills = await n.run(['find', '/srv', '-maxdepth', '1', '-name', '.livemirror-e2e-fill.*']);
      if (fills.trim()) left.push(`fill files ${fills.trim()}`);
      if ((await n.exec(['test', '-e', '.livemirror-e2e/spawned'])).code === 0) left.push('spawned record');
      if (n === a && (await n.isAlive(sleeper))) left.push(`process ${sleeper}`);
      check(left.length === 0, `${n.name}: left after down(): ${left.join('; ')}`);
    }
    log('  ok nothing of the harness left on the hosts after down()');
  } finally {
    await cluster.down().catch(() => undefined);
    await Promise.all(sessions.map((s) => s.close()));
  }
}
