import { describe, expect, it } from 'vitest';
import { blockScript, checkAddress, downScript, isAbsentError, unblockArgv, upScript } from './nft.js';

describe('nft fault rules', () => {
  it('partition: one table, set and both chains, flushed then refilled, peer added', () => {
    expect(blockScript('10.213.9.12').split('\n')).toEqual([
      'add table inet lm_fault',
      'add set inet lm_fault blocked { type ipv4_addr; }',
      'add chain inet lm_fault input { type filter hook input priority 0; policy accept; }',
      'add chain inet lm_fault output { type filter hook output priority 0; policy accept; }',
      'flush chain inet lm_fault input',
      'flush chain inet lm_fault output',
      'add rule inet lm_fault input ip saddr @blocked drop',
      'add rule inet lm_fault output ip daddr @blocked drop',
      'add element inet lm_fault blocked { 10.213.9.12 }',
      '',
    ]);
    expect(unblockArgv('10.213.9.12')).toEqual(['nft', 'delete', 'element', 'inet', 'lm_fault', 'blocked', '{ 10.213.9.12 }']);
  });

  it('host down drops all but loopback, made afresh; up removes it even when absent', () => {
    const d = downScript();
    expect(d).toContain('add chain inet lm_down input { type filter hook input priority -10; policy drop; }');
    expect(d).toContain('add chain inet lm_down output { type filter hook output priority -10; policy drop; }');
    expect(d).toContain('add rule inet lm_down input iifname "lo" accept');
    expect(d).toContain('add rule inet lm_down output oifname "lo" accept');
    expect(d.indexOf('delete table inet lm_down')).toBeLessThan(d.lastIndexOf('add table inet lm_down'));
    expect(upScript()).toBe('add table inet lm_down\ndelete table inet lm_down\n');
  });

  it('refuses anything that is not an IPv4 address (nothing else reaches the rule text)', () => {
    for (const bad of ['10.213.9', '10.213.9.256', '10.213.9.1; flush ruleset', 'n1', '']) expect(() => checkAddress(bad)).toThrow(/invalid address/);
    expect(() => blockScript('1.2.3.4 }')).toThrow();
  });

  it('an absent table or element is not an error for heal', () => {
    expect(isAbsentError('Error: Could not process rule: No such file or directory')).toBe(true);
    expect(isAbsentError('Error: syntax error, unexpected newline')).toBe(false);
  });
});
