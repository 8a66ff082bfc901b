import { describe, expect, it } from 'vitest';
import { plainStatusArgs } from './status-command.js';

describe('plainStatusArgs: the forms the fast path takes, and only those', () => {
  it.each([
    [['status'], { json: false }],
    [['status', '--json'], { json: true }],
    [['status', '--socket', '/run/x.sock'], { json: false, socket: '/run/x.sock' }],
    [['status', '--socket=/run/x.sock'], { json: false, socket: '/run/x.sock' }],
    [['status', '--socket', 'rel.sock', '--json'], { json: true, socket: 'rel.sock' }],
    [['status', '--json', '--socket=/run/x.sock'], { json: true, socket: '/run/x.sock' }],
  ])('%j → %j', (args, expected) => {
    expect(plainStatusArgs(args)).toEqual(expected);
  });

  it.each([
    [[]],
    [['run', '/src', '/dst']],
    [['--json', 'status']],
    [['status', '-c', 'x.yaml']],
    [['status', '--config', 'x.yaml']],
    [['status', '--config=x.yaml']],
    [['status', '--help']],
    [['status', '-h']],
    [['status', '--bogus']],
    [['status', 'release']],
    [['status', '--socket']],
    [['status', '--socket=']],
    [['status', '--socket', '--json']],
    [['status', '--socket', '-x']],
    [['status', '--socket', 'a', '--socket', 'b']],
    [['status', '--json', '--json']],
    [['status', '--']],
    [['status', '--js']],
  ])('%j goes to commander', (args) => {
    expect(plainStatusArgs(args)).toBeUndefined();
  });
});
