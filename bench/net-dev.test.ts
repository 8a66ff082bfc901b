import { describe, expect, it } from 'vitest';
import { rxBytesOf } from './net-dev.js';

const netDev = [
  'Inter-|   Receive                                                |  Transmit',
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed',
  '    lo:  813317    4941    0    0    0     0          0         0   813317    4941    0    0    0     0       0          0',
  '  eth0:1234567890123    7    0    0    0     0          0         0        5       1    0    0    0     0       0          0',
  '',
].join('\n');

describe('rxBytesOf', () => {
  it("reads an interface's received bytes", () => expect(rxBytesOf(netDev, 'lo')).toBe(813_317));
  it('reads a counter that fills its column up to the colon', () => expect(rxBytesOf(netDev, 'eth0')).toBe(1_234_567_890_123));
  it('throws for an interface that is not there, rather than count nothing', () => expect(() => rxBytesOf(netDev, 'ifb0')).toThrow(/no interface ifb0/));
});
