import { describe, expect, it } from 'vitest';
import { BIGFILE_CHANGE_BYTES, CONTESTANTS, benchConfig, bigfileDeadlineMs, burstDeadlineMs, parseBenchArgs, parseBurstSize, WORKLOADS } from './config.js';

describe('parseBenchArgs', () => {
  it('no arguments: every workload at full size, every contestant, results in bench/results', () => {
    expect(parseBenchArgs([], {})).toEqual({ workloads: [...WORKLOADS], mode: 'full', out: 'bench/results', publish: false, contestants: [...CONTESTANTS] });
  });
  it('--quick alone runs latency, burst, idle and the two ssh workloads', () => {
    const a = parseBenchArgs(['--quick'], {});
    expect(a.mode).toBe('quick');
    expect(a.workloads).toEqual(['latency', 'burst', 'idle', 'sshlatency', 'bigfile']);
  });
  it('named workloads run alone, once each, in the order given', () => {
    expect(parseBenchArgs(['status', 'latency', 'status'], {}).workloads).toEqual(['status', 'latency']);
  });
  it('BENCH_TINY=1 wins over --quick', () => expect(parseBenchArgs(['--quick'], { BENCH_TINY: '1' }).mode).toBe('tiny'));
  it('takes --out, --publish, --contestants and --burst-sizes', () => {
    const a = parseBenchArgs(['burst', '--out', '/tmp/x', '--publish', '--contestants', 'livemirror,floor', '--burst-sizes', '100x10,500x50x2'], {});
    expect(a).toEqual({
      workloads: ['burst'],
      mode: 'full',
      out: '/tmp/x',
      publish: true,
      contestants: ['livemirror', 'floor'],
      burstSizes: [
        { files: 100, dirs: 10, runs: 1 },
        { files: 500, dirs: 50, runs: 2 },
      ],
    });
  });
  it('--from-json names an earlier run to render again', () => expect(parseBenchArgs(['--from-json', 'r.json', '--publish'], {})).toMatchObject({ fromJson: 'r.json', publish: true }));
  it('refuses unknown workloads, contestants and options', () => {
    expect(() => parseBenchArgs(['fastest'], {})).toThrow(/unknown workload "fastest"/);
    expect(() => parseBenchArgs(['--contestants', 'unison'], {})).toThrow(/unknown contestant "unison"/);
    expect(() => parseBenchArgs(['--fast'], {})).toThrow();
  });
});

describe('parseBurstSize', () => {
  it('reads FILESxDIRS and FILESxDIRSxRUNS', () => {
    expect(parseBurstSize('60000x1000')).toEqual({ files: 60_000, dirs: 1_000, runs: 1 });
    expect(parseBurstSize('20x4x3')).toEqual({ files: 20, dirs: 4, runs: 3 });
  });
  it.each(['', '10', '10x0', '0x0', '5x10', 'ax2', '10x2x0', '10x2x1x1'])('refuses %j', (s) => expect(() => parseBurstSize(s)).toThrow(/--burst-sizes/));
});

describe('benchConfig', () => {
  it('full: 30 latency samples, 10,000 and 60,000 files in 1,000 directories, status median of 10', () => {
    const c = benchConfig('full');
    expect(c.latency.samples).toBe(30);
    expect(c.burst.sizes.map((s) => [s.files, s.dirs])).toEqual([
      [10_000, 1_000],
      [60_000, 1_000],
    ]);
    expect(c.status.runs).toBe(10);
    expect(c.bigtree.top * (c.bigtree.sub + 1)).toBe(100_000);
  });
  it('quick: 8 samples, at most 2 of lsyncd-default, 2,000 files in 200 directories', () => {
    const c = benchConfig('quick');
    expect([c.latency.samples, c.latency.lsyncdDefaultSamples]).toEqual([8, 2]);
    expect(c.burst.sizes).toEqual([{ files: 2_000, dirs: 200, runs: 1 }]);
  });
  it('tiny: 3 samples and a few files', () => {
    const c = benchConfig('tiny');
    expect(c.latency.samples).toBe(3);
    expect(c.burst.sizes[0]!.files).toBeLessThanOrEqual(100);
  });
  it('the burst deadline grows with the files', () => expect(burstDeadlineMs({ files: 60_000, dirs: 1_000, runs: 1 })).toBe(720_000));
  it('ssh workloads: 30 / 8 / 3 samples; a 1 GiB / 64 MiB / 4 MiB file with 1 MiB changed', () => {
    expect((['full', 'quick', 'tiny'] as const).map((m) => [benchConfig(m).sshlatency.samples, benchConfig(m).bigfile.sizeMiB])).toEqual([
      [30, 1024],
      [8, 64],
      [3, 4],
    ]);
    expect(BIGFILE_CHANGE_BYTES).toBe(1 << 20);
    expect(bigfileDeadlineMs(1024)).toBe(264_800);
  });
});
