import { execa } from 'execa';

/** [first, last] address of an IPv4 CIDR as numbers, or undefined when it is not one. */
export function cidrRange(cidr: string): [number, number] | undefined {
  const [addr, lenText] = cidr.split('/');
  const parts = (addr ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const len = lenText === undefined ? 32 : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > 32) return undefined;
  const base = parts.reduce((a, p) => a * 256 + p, 0);
  const size = 2 ** (32 - len);
  const start = Math.floor(base / size) * size;
  return [start, start + size - 1];
}

export function overlaps(a: string, b: string): boolean {
  const ra = cidrRange(a);
  const rb = cidrRange(b);
  return ra !== undefined && rb !== undefined && ra[0] <= rb[1] && rb[0] <= ra[1];
}

interface RouteJson {
  dst?: string;
  dev?: string;
}

/** The routes (other than default) of `routes` (ip -j route output) that overlap `subnet`. */
export function clashingRoutes(routes: readonly RouteJson[], subnet: string): string[] {
  return routes.filter((r) => r.dst && r.dst !== 'default' && overlaps(r.dst, subnet)).map((r) => `${r.dst} dev ${r.dev ?? '?'}`);
}

/**
 * Throws if a route of this machine overlaps the cluster subnet (call after the provider's own
 * network is removed). Checked only where `ip` exists (a local engine).
 */
export async function checkSubnetFree(subnet: string): Promise<void> {
  const r = await execa('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], { timeout: 15_000, reject: false });
  if (r.exitCode !== 0) return;
  const clash = clashingRoutes(JSON.parse(String(r.stdout)) as RouteJson[], subnet);
  if (clash.length) throw new Error(`containers: the cluster subnet ${subnet} overlaps route ${clash.join(', ')}`);
}
