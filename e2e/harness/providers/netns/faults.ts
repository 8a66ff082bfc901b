import type { DiskFill, ProcessSignal, RateLimit } from '../../cluster.js';
import { fillDisk as fillData, freeDisk as freeData, type NodeRun } from '../shared/disk-fill.js';
import { blockScript, checkAddress, isAbsentError, unblockArgv } from '../shared/nft.js';
import { switchPort } from './layout.js';
import { inNs } from './nsenter.js';

/**
 * Fault injection from outside the nodes (like a console and a managed switch): everything runs
 * through nsenter, never through the node's network, so it works while the node is cut off.
 * `init` is the node's pid 1 seen from the machine, `sw` the switch holder's pid.
 */

export async function signalProcess(init: number, pid: number, signal: ProcessSignal): Promise<void> {
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`invalid pid ${pid}`);
  await inNs(init, 'node', ['kill', '-s', signal, String(pid)]);
}

/** Host down / back: the node's switch port goes down (its eth0 loses carrier) or up. */
export async function setPort(sw: number, index: number, up: boolean): Promise<void> {
  await inNs(sw, 'net', ['ip', 'link', 'set', switchPort(index), up ? 'up' : 'down']);
}

/** Adds (or removes) `peer` to the node's blocked set: both directions dropped in its firewall. */
export async function setBlocked(init: number, peer: string, blocked: boolean): Promise<void> {
  checkAddress(peer);
  if (blocked) {
    await inNs(init, 'net', ['nft', '-f', '-'], { input: blockScript(peer) });
    return;
  }
  const r = await inNs(init, 'net', unblockArgv(peer), { allowFail: true });
  // Deleting an element that is not there is fine (heal is idempotent); anything else is not.
  if (r.exitCode !== 0 && !isAbsentError(r.stderr)) {
    throw new Error(`nft delete element ${peer}: ${r.stderr}`);
  }
}

function tbfArgs(dev: string, limit: RateLimit): string[] {
  if (!(limit.kbit > 0)) throw new Error(`invalid rate ${limit.kbit} kbit/s`);
  const bytesPerSec = (limit.kbit * 1000) / 8;
  // At least a few full frames, and at least 1/50 s of traffic (kernel timer granularity).
  const burst = Math.max(4096, Math.ceil(bytesPerSec / 50));
  const latency = limit.latencyMs ?? 200;
  return ['tc', 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${limit.kbit}kbit`, 'burst', String(burst), 'latency', `${latency}ms`];
}

/** tbf on both ends of the node's link: eth0 shapes what it sends, the switch port what it receives. */
export async function setRate(init: number, sw: number, index: number, limit: RateLimit | undefined): Promise<void> {
  const apply = async (pid: number, dev: string): Promise<void> => {
    if (limit) {
      await inNs(pid, 'net', tbfArgs(dev, limit));
      return;
    }
    const r = await inNs(pid, 'net', ['tc', 'qdisc', 'del', 'dev', dev, 'root'], { allowFail: true });
    if (r.exitCode !== 0 && !/handle of zero|No such file|Invalid handle|Cannot find/i.test(r.stderr)) {
      throw new Error(`tc qdisc del dev ${dev}: ${r.stderr}`);
    }
  };
  await Promise.all([apply(init, 'eth0'), apply(sw, switchPort(index))]);
}

/** Runs argv in all of the node's namespaces, as the shared disk fill wants it. */
const nodeRun = (init: number): NodeRun => (argv) => inNs(init, 'node', argv, { allowFail: true });

export function fillDisk(init: number): Promise<DiskFill> {
  return fillData(nodeRun(init));
}

export async function freeDisk(init: number): Promise<void> {
  await freeData(nodeRun(init));
}
