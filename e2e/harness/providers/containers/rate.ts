import type { RateLimit } from '../../cluster.js';

/**
 * Rate limits of a node's link: tbf on both ends of its veth, the container's eth0 (what the
 * node sends) and the machine's side (what it receives). Pure; the cluster applies the argv.
 */

export function tbfArgs(dev: string, limit: RateLimit): string[] {
  if (!(limit.kbit > 0)) throw new Error(`invalid rate ${limit.kbit} kbit/s`);
  const bytesPerSec = (limit.kbit * 1000) / 8;
  // At least a few full frames, and at least 1/50 s of traffic (kernel timer granularity).
  const burst = Math.max(4096, Math.ceil(bytesPerSec / 50));
  const latency = limit.latencyMs ?? 200;
  return ['tc', 'qdisc', 'replace', 'dev', dev, 'root', 'tbf', 'rate', `${limit.kbit}kbit`, 'burst', String(burst), 'latency', `${latency}ms`];
}

export function clearArgs(dev: string): string[] {
  return ['tc', 'qdisc', 'del', 'dev', dev, 'root'];
}

/** `tc qdisc del` of a qdisc that is not there (clear is idempotent). */
export function isNoQdiscError(stderr: string): boolean {
  return /handle of zero|No such file|Invalid handle|Cannot find|Cannot delete qdisc with handle of zero/i.test(stderr);
}

/** The interface whose ifindex is `index` among `ifaces` (name → ifindex text), or undefined. */
export function ifaceByIndex(ifaces: ReadonlyMap<string, string>, index: number): string | undefined {
  for (const [name, text] of ifaces) if (Number(text.trim()) === index) return name;
  return undefined;
}
