import { describe, expect, it } from 'vitest';
import { hostFaults } from './host-faults.js';
import type { HostResult, HostRunner } from './host-runner.js';

/** A host that answers from a table of argv prefixes and records what it was asked. */
function fakeHost(answer: (argv: string[], stdin?: string) => Partial<HostResult> | undefined): HostRunner & { calls: { argv: string[]; stdin?: string }[] } {
  const calls: { argv: string[]; stdin?: string }[] = [];
  return {
    name: 'h1',
    calls,
    run: async (argv, opts = {}) => {
      const a = argv.map(String);
      calls.push({ argv: a, ...(opts.stdin === undefined ? {} : { stdin: opts.stdin }) });
      return { code: 0, stdout: '', stderr: '', ...answer(a, opts.stdin) };
    },
  };
}
const df = (availKiB: number): string => `Filesystem 1024-blocks Used Available Capacity Mounted on\nlm-data 65536 0 ${availKiB} 0% /srv\n`;
const ctx = { dataDir: '/srv/data', iface: 'eth0', controller: { address: '10.213.7.1', port: 22 } };

describe('hostFaults (over a fake host)', () => {
  it('Linux fillDisk: fallocate what df says is free, beside the data dir, until nothing is', async () => {
    let avail = 1000;
    const host = fakeHost((argv) => {
      if (argv[0] === 'df') return { stdout: df(avail) };
      if (argv[0] === 'fallocate') avail = 0;
      return undefined;
    });
    const fill = await hostFaults({ ...ctx, runner: host, os: 'linux' }).fillDisk();
    expect(fill).toEqual({ freeBytes: 0, filledBytes: 1000 * 1024 });
    const fa = host.calls.find((c) => c.argv[0] === 'fallocate');
    expect(fa?.argv.slice(0, 4)).toEqual(['fallocate', '-l', String(1000 * 1024), '--']);
    expect(fa?.argv[4]).toMatch(/^\/srv\/\.livemirror-e2e-fill\.\d+\.0$/);
  });

  it('FreeBSD fillDisk: dd until the filesystem is full (its failure is the expected end)', async () => {
    let avail = 500;
    const host = fakeHost((argv) => {
      if (argv[0] === 'df') return { stdout: df(avail) };
      if (argv[0] === 'dd') {
        avail = 0;
        return { code: 1, stderr: 'dd: /srv/x: No space left on device' };
      }
      return undefined;
    });
    expect(await hostFaults({ ...ctx, runner: host, os: 'freebsd' }).fillDisk()).toEqual({ freeBytes: 0, filledBytes: 500 * 1024 });
  });

  it('Linux limitRate: a failure names the missing kernel feature and undoes what was set', async () => {
    const host = fakeHost((argv) => (argv[0] === 'ip' && argv[2] === 'add' ? { code: 2, stderr: 'Error: Unknown device type.' } : undefined));
    await expect(hostFaults({ ...ctx, runner: host, os: 'linux' }).limitRate({ kbit: 1000 })).rejects.toThrow(/lacks ifb/);
    expect(host.calls.some((c) => c.argv.join(' ') === 'tc qdisc del dev eth0 root')).toBe(true);
  });

  it('FreeBSD partition/disconnect regenerate the whole anchor from the host fault state', async () => {
    const host = fakeHost((argv) => (argv.join(' ') === 'pfctl -s Anchors' ? { stdout: '  livemirror-e2e\n' } : undefined));
    const f = hostFaults({ ...ctx, runner: host, os: 'freebsd', iface: 'em1' });
    await f.partition('192.168.56.12');
    await f.disconnect();
    await f.heal('192.168.56.12');
    const loads = host.calls.filter((c) => c.argv.includes('-f')).map((c) => c.stdin ?? '');
    expect(loads[0]).toContain('block drop quick from 192.168.56.12 to any');
    expect(loads[1]).toContain('block drop quick on em1 all');
    expect(loads[1]).toContain('192.168.56.12');
    expect(loads[2]).not.toContain('192.168.56.12');
    await f.reconnect();
    expect(host.calls.at(-1)?.argv).toEqual(['pfctl', '-q', '-a', 'livemirror-e2e', '-F', 'rules']);
  });

  it('FreeBSD refuses to load rules into an anchor pf never calls', async () => {
    const host = fakeHost(() => ({ stdout: '' }));
    await expect(hostFaults({ ...ctx, runner: host, os: 'freebsd' }).disconnect()).rejects.toThrow(/does not call the anchor livemirror-e2e/);
  });
});
