import type { RateLimit } from '../../cluster.js';
import { checkIface, type Command } from './host-runner.js';

/**
 * Linux rate limits with tbf only (pure): the cluster interface's egress gets a tbf root qdisc;
 * its ingress is redirected (ingress qdisc, a u32 match-all filter, action mirred) to an ifb
 * device whose egress gets the same tbf. No policer (act_police), no netem: kernels without them
 * (like this project's CI machines) shape both directions this way. Needs CONFIG_IFB,
 * CONFIG_NET_SCH_INGRESS, CONFIG_NET_CLS_U32, CONFIG_NET_ACT_MIRRED and CONFIG_NET_SCH_TBF.
 */

/** The ifb device that shapes the host's ingress (one per host: one cluster interface). */
export const IFB_DEV = 'lme2e-ifb';

const NOT_THERE = /No such file|Cannot find device|Cannot find specified qdisc|Invalid handle|handle of zero|Cannot delete qdisc with handle of zero|not found/i;

/** tbf parameters for `limit`: burst at least a few frames and 1/50 s of traffic (timer granularity). */
export function tbfParams(limit: RateLimit): string[] {
  if (!(limit.kbit > 0) || !Number.isFinite(limit.kbit)) throw new Error(`invalid rate ${limit.kbit} kbit/s`);
  const latency = limit.latencyMs ?? 200;
  if (!(latency > 0)) throw new Error(`invalid latency ${latency} ms`);
  const burst = Math.max(4096, Math.ceil((limit.kbit * 1000) / 8 / 50));
  return ['tbf', 'rate', `${limit.kbit}kbit`, 'burst', String(burst), 'latency', `${latency}ms`];
}

/** Commands that shape `iface` in both directions (idempotent: replace, or add what is missing). */
export function tcLimit(iface: string, limit: RateLimit): Command[] {
  const i = checkIface(iface);
  const tbf = tbfParams(limit);
  return [
    { argv: ['tc', 'qdisc', 'replace', 'dev', i, 'root', ...tbf] },
    { argv: ['ip', 'link', 'add', IFB_DEV, 'type', 'ifb'], okIf: /File exists/ },
    { argv: ['ip', 'link', 'set', IFB_DEV, 'up'] },
    { argv: ['tc', 'qdisc', 'replace', 'dev', IFB_DEV, 'root', ...tbf] },
    { argv: ['tc', 'qdisc', 'replace', 'dev', i, 'handle', 'ffff:', 'ingress'] },
    {
      argv: ['tc', 'filter', 'replace', 'dev', i, 'parent', 'ffff:', 'protocol', 'all', 'prio', '1', 'handle', '800::1',
        'u32', 'match', 'u32', '0', '0', 'action', 'mirred', 'egress', 'redirect', 'dev', IFB_DEV],
    },
  ];
}

/** Commands that remove every shaping tcLimit made (fine when there is none). */
export function tcClear(iface: string): Command[] {
  const i = checkIface(iface);
  return [
    { argv: ['tc', 'qdisc', 'del', 'dev', i, 'root'], okIf: NOT_THERE },
    { argv: ['tc', 'qdisc', 'del', 'dev', i, 'ingress'], okIf: NOT_THERE },
    { argv: ['ip', 'link', 'del', IFB_DEV], okIf: NOT_THERE },
  ];
}

/** What to tell the user when a tc command fails for want of a kernel feature. */
export function tcHint(stderr: string): string {
  if (/Unknown device type|ifb/i.test(stderr) && /not supported|Unknown|unknown/i.test(stderr)) return ' (the kernel lacks ifb: modprobe ifb, CONFIG_IFB)';
  if (/classifier not found|TC classifier/i.test(stderr)) return ' (the kernel lacks the u32 classifier: modprobe cls_u32, CONFIG_NET_CLS_U32)';
  if (/action.*(not found|unknown)|mirred/i.test(stderr)) return ' (the kernel lacks act_mirred: modprobe act_mirred, CONFIG_NET_ACT_MIRRED)';
  if (/qdisc kind is unknown/i.test(stderr)) return ' (the kernel lacks a qdisc: tbf needs CONFIG_NET_SCH_TBF, ingress CONFIG_NET_SCH_INGRESS; modprobe sch_tbf sch_ingress)';
  return '';
}
