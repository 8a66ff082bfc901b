import { describe, expect, it } from 'vitest';
import { containerName, nodeAddress, SUBNET } from './layout.js';
import { parseState } from './state.js';
import { clashingRoutes, cidrRange, overlaps } from './subnet.js';
import { ifaceByIndex, tbfArgs } from './rate.js';
import { networkRequest } from './bring-up.js';

const state = {
  version: 1,
  provider: 'containers',
  ownerPid: 1,
  createdAt: '2026-01-01T00:00:00Z',
  phase: 'up',
  topology: { name: 't', nodes: [{ name: 'n1' }] },
  engine: { host: 'unix:///run/livemirror-e2e/podman.sock', cli: 'podman', service: { pid: 5, start: '9' } },
  image: 'localhost/livemirror-e2e-node:0123456789abcdef',
  network: 'abc',
  nodes: [],
};

describe('containers state', () => {
  it('parses its own state and nothing else (netns state, other versions, junk)', () => {
    expect(parseState(JSON.stringify(state))?.image).toBe(state.image);
    expect(parseState(JSON.stringify({ ...state, version: 2 }))).toBeUndefined();
    expect(parseState(JSON.stringify({ version: 1, ownerPid: 1, phase: 'up', topology: {}, switch: undefined, nodes: [] }))).toBeUndefined();
    expect(parseState('{"version":1,')).toBeUndefined();
    expect(parseState('null')).toBeUndefined();
  });
});

describe('addresses', () => {
  it('nodes get .11, .12, ... of the provider subnet; names are prefixed', () => {
    expect(SUBNET).toBe('10.213.9.0/24');
    expect([0, 1, 4].map(nodeAddress)).toEqual(['10.213.9.11', '10.213.9.12', '10.213.9.15']);
    expect(() => nodeAddress(200)).toThrow();
    expect(() => nodeAddress(-1)).toThrow();
    expect(containerName('web1')).toBe('lm-e2e-web1');
  });

  it('the network is a labelled bridge on the subnet, gateway .1 (the controller side)', () => {
    expect(networkRequest()).toEqual({
      Name: 'livemirror-e2e',
      Driver: 'bridge',
      CheckDuplicate: true,
      IPAM: { Driver: 'default', Config: [{ Subnet: '10.213.9.0/24', Gateway: '10.213.9.1' }] },
      Labels: { 'livemirror-e2e': '1' },
    });
  });

  it('finds routes that clash with the subnet', () => {
    expect(cidrRange('10.213.9.0/24')).toEqual([10 * 2 ** 24 + 213 * 2 ** 16 + 9 * 256, 10 * 2 ** 24 + 213 * 2 ** 16 + 9 * 256 + 255]);
    expect(overlaps('10.213.9.0/24', '10.213.0.0/16')).toBe(true);
    expect(overlaps('10.213.9.0/24', '10.213.7.0/24')).toBe(false);
    expect(overlaps('10.213.9.0/24', 'nonsense')).toBe(false);
    const routes = [{ dst: 'default', dev: 'eth0' }, { dst: '192.0.2.0/24', dev: 'eth0' }, { dst: '10.213.9.64/26', dev: 'br9' }];
    expect(clashingRoutes(routes, SUBNET)).toEqual(['10.213.9.64/26 dev br9']);
  });
});

describe('rate limits', () => {
  it('tbf with a burst of at least 4 KiB or 1/50 s of traffic', () => {
    expect(tbfArgs('eth0', { kbit: 8000 })).toEqual(['tc', 'qdisc', 'replace', 'dev', 'eth0', 'root', 'tbf', 'rate', '8000kbit', 'burst', '20000', 'latency', '200ms']);
    expect(tbfArgs('veth1', { kbit: 64, latencyMs: 50 })).toContain('4096');
    expect(() => tbfArgs('eth0', { kbit: 0 })).toThrow();
  });

  it('finds the machine end of a veth by ifindex', () => {
    const m = new Map([['lo', '1\n'], ['eth0', '2\n'], ['veth3f2', '17\n']]);
    expect(ifaceByIndex(m, 17)).toBe('veth3f2');
    expect(ifaceByIndex(m, 5)).toBeUndefined();
  });
});
