import { describe, expect, it } from 'vitest';
import { pfAnchorCalled, pfFlush, pfKillStates, pfLoad, pfRules } from './pf.js';

describe('pf fault rules (anchor livemirror-e2e)', () => {
  it('no fault: the anchor is flushed', () => {
    expect(pfRules({ blocked: [] })).toBe('');
    expect(pfLoad({ blocked: [] }).argv).toEqual(pfFlush().argv);
    expect(pfFlush().argv).toEqual(['pfctl', '-q', '-a', 'livemirror-e2e', '-F', 'rules']);
  });

  it('partition blocks both directions per peer, sorted and without duplicates', () => {
    expect(pfRules({ blocked: ['192.168.56.13', '192.168.56.12', '192.168.56.13'] }).trim().split('\n')).toEqual([
      'block drop quick from 192.168.56.12 to any',
      'block drop quick from any to 192.168.56.12',
      'block drop quick from 192.168.56.13 to any',
      'block drop quick from any to 192.168.56.13',
    ]);
  });

  it('disconnect passes the controller ssh before blocking the interface', () => {
    const c = pfLoad({ blocked: [], disconnected: { iface: 'em1', controller: { address: '10.0.2.2', port: 22 } } });
    expect(c.argv).toEqual(['pfctl', '-q', '-a', 'livemirror-e2e', '-f', '-']);
    expect((c.stdin ?? '').trim().split('\n')).toEqual([
      'pass quick on em1 proto tcp from 10.0.2.2 to any port 22 no state',
      'pass quick on em1 proto tcp from any port 22 to 10.0.2.2 no state',
      'block drop quick on em1 all',
    ]);
  });

  it('kills the states of a partitioned peer both ways', () => {
    expect(pfKillStates('10.0.0.9').map((c) => c.argv.join(' '))).toEqual(['pfctl -q -k 10.0.0.9', 'pfctl -q -k 0.0.0.0/0 -k 10.0.0.9']);
    expect(() => pfRules({ blocked: ['any'] })).toThrow(/invalid IPv4/);
  });

  it('sees whether the main ruleset calls the anchor', () => {
    expect(pfAnchorCalled('  livemirror-e2e\n')).toBe(true);
    expect(pfAnchorCalled('  other\n  livemirror-e2e-x\n')).toBe(false);
  });
});
