import { describe, expect, it } from 'vitest';
import { nftDisconnect, nftHeal, nftPartition, nftReconnect, nftRemoveAll } from './nft.js';

describe('nft fault rules', () => {
  it('partition adds the peer to the blocked set in our own table, chains made empty first', () => {
    const c = nftPartition('10.213.7.12');
    expect(c.argv).toEqual(['nft', '-f', '-']);
    const lines = (c.stdin ?? '').trim().split('\n');
    expect(lines[0]).toBe('add table inet livemirror_e2e');
    expect(lines).toContain('flush chain inet livemirror_e2e block_in');
    expect(lines).toContain('add rule inet livemirror_e2e block_in ip saddr @blocked drop');
    expect(lines).toContain('add rule inet livemirror_e2e block_out ip daddr @blocked drop');
    expect(lines.at(-1)).toBe('add element inet livemirror_e2e blocked { 10.213.7.12 }');
  });

  it('heal deletes the element and tolerates its absence', () => {
    const c = nftHeal('10.0.0.2');
    expect(c.argv).toEqual(['nft', 'delete', 'element', 'inet', 'livemirror_e2e', 'blocked', '{ 10.0.0.2 }']);
    expect(c.okIf?.test('Error: Could not process rule: No such file or directory')).toBe(true);
  });

  it('disconnect drops everything on the interface except the controller ssh, before the drops', () => {
    const text = nftDisconnect('eth1', { address: '10.0.2.2', port: 22 }).stdin ?? '';
    const rules = text.split('\n').filter((l) => l.startsWith('add rule'));
    expect(rules).toEqual([
      'add rule inet livemirror_e2e disc_in iifname "eth1" ip saddr 10.0.2.2 tcp dport 22 accept',
      'add rule inet livemirror_e2e disc_in iifname "eth1" drop',
      'add rule inet livemirror_e2e disc_out oifname "eth1" ip daddr 10.0.2.2 tcp sport 22 accept',
      'add rule inet livemirror_e2e disc_out oifname "eth1" drop',
    ]);
    expect(text).toContain('flush chain inet livemirror_e2e disc_in');
  });

  it('reconnect deletes the disconnect chains after making sure they exist (idempotent)', () => {
    const lines = (nftReconnect().stdin ?? '').trim().split('\n');
    expect(lines.slice(-2)).toEqual(['delete chain inet livemirror_e2e disc_in', 'delete chain inet livemirror_e2e disc_out']);
    expect(lines.findIndex((l) => l.startsWith('add chain inet livemirror_e2e disc_in'))).toBeLessThan(lines.indexOf('delete chain inet livemirror_e2e disc_in'));
  });

  it('removing all deletes only our table', () => {
    expect(nftRemoveAll().argv).toEqual(['nft', 'delete', 'table', 'inet', 'livemirror_e2e']);
  });

  it('refuses values that would change the rule text', () => {
    expect(() => nftPartition('10.0.0.1; flush ruleset')).toThrow(/invalid IPv4/);
    expect(() => nftPartition('300.1.1.1')).toThrow(/invalid IPv4/);
    expect(() => nftDisconnect('eth0" drop', { address: '10.0.0.1', port: 22 })).toThrow(/interface/);
    expect(() => nftDisconnect('eth0', { address: '10.0.0.1', port: 0 })).toThrow(/port/);
  });
});
