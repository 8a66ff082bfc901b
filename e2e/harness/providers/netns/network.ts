import { execa } from 'execa';
import { BRIDGE, HARNESS_ADDRESS, HOST_LINK, PREFIX_LEN, SUBNET_PREFIX, switchPort } from './layout.js';
import { inNs } from './nsenter.js';

/**
 * The cluster network: one bridge in the switch namespace, one veth per node (`pN` on the
 * bridge, `eth0` in the node) and one veth for the controller (`up0` on the bridge, HOST_LINK
 * in the root namespace, the only thing the provider puts there). Nodes get no default route:
 * nothing they send can leave the machine.
 */

/** `ip -batch` lines for the switch namespace, given each node's init pid in order. */
export function switchBatch(nodeInitPids: readonly number[], harnessPid: number): string {
  const lines = [`link add ${BRIDGE} type bridge stp_state 0`, `link set ${BRIDGE} up`];
  nodeInitPids.forEach((pid, i) => {
    lines.push(`link add ${switchPort(i)} type veth peer name eth0 netns ${pid}`);
    lines.push(`link set ${switchPort(i)} master ${BRIDGE} up`);
  });
  lines.push(`link add up0 type veth peer name ${HOST_LINK} netns ${harnessPid}`);
  lines.push(`link set up0 master ${BRIDGE} up`);
  return lines.join('\n') + '\n';
}

/** Creates the bridge and every veth, and gives the controller its address. */
export async function wireNetwork(switchPid: number, nodeInitPids: readonly number[]): Promise<void> {
  await inNs(switchPid, 'net', ['ip', '-batch', '-'], { input: switchBatch(nodeInitPids, process.pid) });
  await execa('ip', ['-batch', '-'], {
    input: [`addr add ${HARNESS_ADDRESS}/${PREFIX_LEN} dev ${HOST_LINK}`, `link set ${HOST_LINK} up`].join('\n') + '\n',
    timeout: 15_000,
  });
}

/** Removes the controller's link (and with it its peer); false when it did not exist. */
export async function removeHostLink(): Promise<boolean> {
  const r = await execa('ip', ['link', 'del', HOST_LINK], { reject: false, timeout: 15_000 });
  return r.exitCode === 0;
}

export async function hostLinkExists(): Promise<boolean> {
  const r = await execa('ip', ['link', 'show', HOST_LINK], { reject: false, timeout: 15_000 });
  return r.exitCode === 0;
}

interface RouteJson {
  dst?: string;
  dev?: string;
}

function cidrRange(cidr: string): [number, number] | undefined {
  const [addr, lenText] = cidr.split('/');
  const parts = (addr ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const len = lenText === undefined ? 32 : Number(lenText);
  const base = parts.reduce((a, p) => a * 256 + p, 0);
  const size = 2 ** (32 - len);
  const start = Math.floor(base / size) * size;
  return [start, start + size - 1];
}

/** Throws if a route in the root namespace (other than the default and ours) overlaps the cluster /24. */
export async function checkSubnetFree(): Promise<void> {
  const r = await execa('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], { timeout: 15_000 });
  const ours = cidrRange(`${SUBNET_PREFIX}.0/${PREFIX_LEN}`) as [number, number];
  for (const route of JSON.parse(String(r.stdout)) as RouteJson[]) {
    if (!route.dst || route.dst === 'default' || route.dev === HOST_LINK) continue;
    const range = cidrRange(route.dst);
    if (range && range[0] <= ours[1] && ours[0] <= range[1]) {
      throw new Error(`the cluster subnet ${SUBNET_PREFIX}.0/${PREFIX_LEN} overlaps route ${route.dst} dev ${route.dev ?? '?'}`);
    }
  }
}
