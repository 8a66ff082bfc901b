import { describe, expect, it } from 'vitest';
import { IFB_DEV, tbfParams, tcClear, tcHint, tcLimit } from './tc.js';

describe('tc rate limits (tbf both ways, ingress through ifb)', () => {
  it('tbf burst is at least 4096 bytes and 1/50 s of traffic', () => {
    expect(tbfParams({ kbit: 800 })).toEqual(['tbf', 'rate', '800kbit', 'burst', '4096', 'latency', '200ms']);
    expect(tbfParams({ kbit: 80_000, latencyMs: 50 })).toEqual(['tbf', 'rate', '80000kbit', 'burst', '200000', 'latency', '50ms']);
    expect(() => tbfParams({ kbit: 0 })).toThrow(/invalid rate/);
  });

  it('shapes egress on the interface and ingress via a mirred redirect to the ifb device', () => {
    const argvs = tcLimit('eth0', { kbit: 1000 }).map((c) => c.argv.join(' '));
    expect(argvs).toEqual([
      'tc qdisc replace dev eth0 root tbf rate 1000kbit burst 4096 latency 200ms',
      `ip link add ${IFB_DEV} type ifb`,
      `ip link set ${IFB_DEV} up`,
      `tc qdisc replace dev ${IFB_DEV} root tbf rate 1000kbit burst 4096 latency 200ms`,
      'tc qdisc replace dev eth0 handle ffff: ingress',
      `tc filter replace dev eth0 parent ffff: protocol all prio 1 handle 800::1 u32 match u32 0 0 action mirred egress redirect dev ${IFB_DEV}`,
    ]);
    expect(argvs.join('\n')).not.toMatch(/police|netem/);
  });

  it('clearing tolerates what is already gone', () => {
    const c = tcClear('eth0');
    expect(c.map((x) => x.argv.join(' '))).toEqual(['tc qdisc del dev eth0 root', 'tc qdisc del dev eth0 ingress', `ip link del ${IFB_DEV}`]);
    expect(c[0]?.okIf?.test('Error: Cannot delete qdisc with handle of zero.')).toBe(true);
    expect(c[1]?.okIf?.test('Error: Invalid handle.')).toBe(true);
    expect(c[1]?.okIf?.test('Error: Cannot find specified qdisc on specified device.')).toBe(true);
    expect(c[2]?.okIf?.test(`Cannot find device "${IFB_DEV}"`)).toBe(true);
  });

  it('names the missing kernel feature', () => {
    expect(tcHint('Error: Specified qdisc kind is unknown.')).toMatch(/CONFIG_NET_SCH_TBF/);
    expect(tcHint('Error: TC classifier not found.')).toMatch(/cls_u32/);
    expect(tcHint('all fine')).toBe('');
  });
});
