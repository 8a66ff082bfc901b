import type { Cluster } from './cluster.js';
import { DaemonProcess } from './daemon.js';
import { canConnect } from './net-probe.js';
import type { NodeSession } from './node.js';
import { waitFor } from './poll.js';
import { check } from './selftest-steps.js';

/**
 * The self-test's fault checks: each injects one fault through the Cluster interface and
 * verifies its effect from inside the nodes, then removes it and verifies recovery.
 */

type Log = (line: string) => void;

/** A stand-in daemon (a shell that logs and sleeps): started, killed -9, restarted, stopped. */
export async function checkProcessFaults(cluster: Cluster, node: NodeSession, log: Log): Promise<void> {
  const d = await DaemonProcess.start(node, {
    configPath: '/dev/null',
    logPath: '/root/fake-daemon.log',
    argv: ['sh', '-c', 'echo "fake daemon $$ started"; trap "echo got TERM; exit 0" TERM; while :; do sleep 1; done'],
  });
  check(await d.alive(), `fake daemon pid ${d.pid} not running`);
  const firstPid = d.pid;
  const t0 = performance.now();
  await cluster.signal(node.name, d.pid, 'KILL');
  check(await node.waitExit(d.pid, 5000), 'kill -9 (out of band) did not end the process');
  log(`    kill -9 pid ${firstPid} on ${node.name}: gone after ${(performance.now() - t0).toFixed(0)} ms`);
  await d.start();
  check(d.pid !== firstPid && (await d.alive()), 'restart did not give a new running pid');
  await d.pause();
  await d.resume();
  const stopped = await d.stop(5000);
  check(stopped.graceful, 'SIGTERM did not stop the fake daemon');
  await d.start();
  await d.kill();
  check(!(await d.alive()), 'kill over ssh did not end the process');
  const text = await d.log();
  check((text.match(/started/g) ?? []).length === 3 && text.includes('got TERM'), `unexpected fake daemon log:\n${text}`);
  log(`    daemon log collected (${text.split('\n').length - 1} lines)`);
}

/** Host down: nobody reaches the node and it reaches nobody; back up: both work again. */
export async function checkHostDown(cluster: Cluster, a: NodeSession, b: NodeSession, log: Log): Promise<void> {
  check(await canConnect(a, b.name, 22), 'b not reachable before the fault');
  await cluster.disconnect(b.name);
  try {
    check(!(await canConnect(a, b.name, 22)), `${a.name} still reaches ${b.name}:22 while it is down`);
    check(!(await canConnect(a, b.name, 873)), `${a.name} still reaches ${b.name}:873 while it is down`);
  } finally {
    await cluster.reconnect(b.name);
  }
  const t0 = performance.now();
  const back = await waitFor(() => canConnect(a, b.name, 22), { deadlineMs: 10_000, initialIntervalMs: 20 });
  check(back, `${b.name} not reachable again after reconnect`);
  // The harness's own session to b may have been cut: a fresh command proves it recovers.
  check((await b.run(['hostname'], { timeoutMs: 20_000 })).trim() === b.name, 'session to b did not recover');
  log(`    ${b.name} reachable again ${(performance.now() - t0).toFixed(0)} ms after reconnect`);
}

/** Partition a|b: a and b cannot talk, both still talk to c; heal restores a<->b. */
export async function checkPartition(cluster: Cluster, a: NodeSession, b: NodeSession, c: NodeSession): Promise<void> {
  await cluster.partition(a.name, b.name);
  try {
    check(!(await canConnect(a, b.name, 22)), `${a.name} reaches ${b.name} across the partition`);
    check(!(await canConnect(b, a.name, 873)), `${b.name} reaches ${a.name} across the partition`);
    check(await canConnect(a, c.name, 22), `${a.name} cannot reach ${c.name} (not partitioned)`);
    check(await canConnect(c, b.name, 22), `${c.name} cannot reach ${b.name} (not partitioned)`);
    await cluster.partition(a.name, b.name); // idempotent
  } finally {
    await cluster.heal(a.name, b.name);
  }
  await cluster.heal(a.name, b.name); // idempotent
  check(await canConnect(a, b.name, 22), `${a.name} cannot reach ${b.name} after heal`);
  check(await canConnect(b, a.name, 22), `${b.name} cannot reach ${a.name} after heal`);
}

/** Copies `src` on a to `dst` on b over ssh with rsync; resolves the time it took. */
async function timedCopy(a: NodeSession, b: NodeSession, src: string, dst: string): Promise<number> {
  const t0 = performance.now();
  await a.$`rsync --whole-file ${src} ${`${b.name}:${dst}`}`.timeout(60_000);
  return performance.now() - t0;
}

/**
 * tbf on b's link: a 3 MB copy a→b takes at least its size / rate (3 s at 1 MB/s); without the
 * limit, far less. The checks are wide-margin properties, not figures of a quiet machine: a
 * lower bound on the shaped copy (a busy machine only makes it slower), and a difference of
 * 1.5 s between shaped and unshaped (half the 3 s of shaping: the rest covers the jitter of ssh
 * and rsync start-up, which both copies pay; seen here: 0.5-1 s per copy).
 */
export async function checkRateLimit(cluster: Cluster, a: NodeSession, b: NodeSession, log: Log): Promise<void> {
  await a.$`dd if=/dev/urandom of=/tmp/blob bs=500K count=6 status=none`;
  const kbit = 8000; // 1 MB/s
  await cluster.limitRate(b.name, { kbit });
  let limited: number;
  try {
    limited = await timedCopy(a, b, '/tmp/blob', '/tmp/blob.1');
  } finally {
    await cluster.clearRateLimit(b.name);
  }
  await cluster.clearRateLimit(b.name); // idempotent
  const free = await timedCopy(a, b, '/tmp/blob', '/tmp/blob.2');
  log(`    3 MB a->b: ${limited.toFixed(0)} ms at ${kbit} kbit/s, ${free.toFixed(0)} ms unlimited`);
  check(limited >= 2000, `rate limit had no effect (${limited.toFixed(0)} ms for 3 MB at 1 MB/s)`);
  check(limited - free >= 1500, `unlimited copy not faster by 1.5 s or more (${free.toFixed(0)} vs ${limited.toFixed(0)} ms)`);
  // The other direction too: what b sends is shaped by the tbf on its own eth0.
  await cluster.limitRate(b.name, { kbit });
  try {
    const t0 = performance.now();
    await b.$`rsync --whole-file /tmp/blob.1 ${`${a.name}:/tmp/blob.3`}`.timeout(60_000);
    const back = performance.now() - t0;
    check(back >= 2000, `egress of ${b.name} not limited (${back.toFixed(0)} ms for 3 MB at 1 MB/s)`);
  } finally {
    await cluster.clearRateLimit(b.name);
  }
}

/** Disk full on b: writes into its data dir fail (locally and through its rsync daemon); freeing fixes it. */
export async function checkDiskFull(cluster: Cluster, a: NodeSession, b: NodeSession, log: Log): Promise<void> {
  const dataDir = b.info.dataDir;
  const fill = await cluster.fillDisk(b.name);
  try {
    log(`    filled ${(fill.filledBytes / 1048576).toFixed(1)} MiB on ${b.name}, ${fill.freeBytes} bytes left`);
    check(fill.freeBytes < 65536, `disk not full: ${fill.freeBytes} bytes free`);
    const local = await b.exec(['dd', 'if=/dev/zero', `of=${dataDir}/.full-probe`, 'bs=64K', 'count=4', 'status=none']);
    check(local.code !== 0 && /No space left/.test(local.stderr.toString()), 'local write did not fail with ENOSPC');
    await a.run(['dd', 'if=/dev/urandom', 'of=/tmp/disk-probe', 'bs=256K', 'count=1', 'status=none']);
    const p = b.info.peer;
    const remote = await a.exec(['rsync', `--password-file=${a.info.peer.rsyncPasswordFile}`, '/tmp/disk-probe', `rsync://${p.rsyncUser}@${b.name}/${p.rsyncModule}/.full-probe-2`]);
    check(remote.code !== 0, 'rsync to a full disk succeeded');
  } finally {
    await cluster.freeDisk(b.name);
  }
  await b.run(['dd', 'if=/dev/zero', `of=${dataDir}/.full-probe`, 'bs=64K', 'count=4', 'status=none']);
  await b.run(['rm', '-f', '--', `${dataDir}/.full-probe`, `${dataDir}/.full-probe-2`]);
}
