import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { conmonsOf, processes } from './exec-monitors.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);

describe('conmonsOf', () => {
  it('finds the conmon processes and the container each monitors', () => {
    const procs = [
      { pid: 10, argv: ['/usr/bin/conmon', '--api-version', '1', '-c', A, '-u', 'e1', '-r', '/usr/bin/runc', '-n', 'lm-e2e-n1'] },
      { pid: 11, argv: ['/usr/libexec/podman/conmon', '-c', B] },
      { pid: 13, argv: ['sleep', '-c', A] }, // not a conmon
      { pid: 14, argv: ['/usr/bin/conmon', '-c'] }, // no id
      { pid: 15, argv: ['/usr/bin/conmon', '-u', A] }, // the id, but not as -c
    ];
    expect(conmonsOf(procs)).toEqual([
      { pid: 10, id: A, name: 'lm-e2e-n1' },
      { pid: 11, id: B, name: undefined },
      { pid: 14, id: undefined, name: undefined },
      { pid: 15, id: undefined, name: undefined },
    ]);
  });

  it('reads this machine\'s processes with their argv', async () => {
    const argv = [process.execPath, '-e', 'setTimeout(() => {}, 30000)', 'lm exec-monitors test'];
    const child = spawn(argv[0] as string, argv.slice(1), { stdio: 'ignore' });
    try {
      await new Promise((r) => child.once('spawn', r));
      expect(processes().find((p) => p.pid === child.pid)?.argv).toEqual(argv);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
