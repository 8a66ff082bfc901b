import { describe, expect, it } from 'vitest';
import { fmtCount, fmtMs, fmtRatio } from './format.js';
import { renderMarkdown } from './report.js';
import { sampleReport } from './sample-report.fixture.js';
import { summarizeLatency } from './stats.js';

describe('format', () => {
  it.each([
    [8.25, '8.3 ms'],
    [83.4, '83 ms'],
    [15_123, '15.1 s'],
    [123_456, '123 s'],
    [NaN, '—'],
  ])('fmtMs(%d) = %s', (ms, want) => expect(fmtMs(ms)).toBe(want));
  it.each([
    [0.523, '0.52×'],
    [3.14, '3.1×'],
    [15.2, '15×'],
    [NaN, '—'],
  ])('fmtRatio(%d) = %s', (r, want) => expect(fmtRatio(r)).toBe(want));
  it('groups thousands the same everywhere', () => expect(fmtCount(60_000)).toBe('60,000'));
});

describe('renderMarkdown', () => {
  const md = renderMarkdown(sampleReport, { latency: 'l.svg', burst: 'b.svg' });
  const lines = md.split('\n');
  const rowOf = (start: string) => lines.filter((l) => l.startsWith(`| ${start} |`));

  it('latency: a row per contestant in the fixed order, percentiles and the ratio to livemirror', () => {
    const at = lines.indexOf('| contestant | samples | misses | p50 | p90 | p99 | max | p50 ÷ livemirror |');
    expect(at).toBeGreaterThan(0);
    expect(lines.slice(at + 1, at + 5)).toEqual([
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      '| livemirror | 3 | 0 | 50 ms | 60 ms | 60 ms | 60 ms | 1.0× |',
      '| lsyncd-default | not installed | — | — | — | — | — | — |',
      '| rsync-loop | 3 | **1** | 2.6 s | 4.1 s | 4.1 s | 4.1 s | 52× |',
    ]);
  });
  it("says that lsyncd-default's latency is its delay, and how rsync-loop's samples are phased", () => {
    expect(md).toMatch(/lsyncd-default's latency is its delay/);
    expect(md).toMatch(/random \(seeded\) phase/);
  });
  it('burst: both times, the ratios to the floor and to livemirror, rsync runs per 1,000 files', () => {
    expect(md).toContain('## Burst: 2,000 files in 200 directories → converged on all replicas');
    expect(rowOf('livemirror').at(-1)).toBe('| livemirror | 3.0 s | 1.0 s | 1.2× / 2.0× | 1.0× | 5 | 6 (batches + full syncs) | at once |');
    expect(rowOf('floor')[0]).toBe('| floor | 2.5 s | 500 ms | 1.0× / 1.0× | 0.50× | 2 | 2 (rsync runs) | at once |');
  });
  it('a contestant without figures keeps its row and its reason is given', () => {
    expect(rowOf('rsync-loop').at(-1)).toBe('| rsync-loop | failed | — | — | — | — | — | — |');
    expect(md).toContain('- rsync-loop: failed: not converged after 140000 ms');
    expect(md).toContain('- lsyncd-default: not installed');
  });
  it('says how rsync runs were counted, links the charts, names the machine and the contestants', () => {
    expect(md).toMatch(/\/proc scan every 20 ms/);
    expect(md).toContain('![latency per contestant](l.svg)');
    expect(md).toContain('![burst convergence per contestant](b.svg)');
    expect(md).toContain('2 CPUs (Test CPU), Linux 6.1.0, Node v20.19.0, rsync version 3.5.0, lsyncd 2.2.3');
    expect(md).toContain('- **floor**: rsync -a once');
    expect(md).not.toContain('- **lsyncd-tuned**');
  });
  it('livemirror alone: the status median', () => expect(md).toContain('| status | `livemirror status` against a running daemon: median 160 ms wall time over 3 runs'));
  it('no chart links when none were rendered', () => expect(renderMarkdown(sampleReport)).not.toContain('!['));
  it('idle: CPU share and switch rate per daemon; one that failed keeps its row and says why', () => {
    const withIdle = {
      ...sampleReport,
      results: [
        ...sampleReport.results,
        { workload: 'idle' as const, contestant: 'livemirror' as const, status: 'ok' as const, windowMs: 60_000, cpuPercent: 0.0123, switchesPerSecond: 0.45 },
        { workload: 'idle' as const, contestant: 'lsyncd-tuned' as const, status: 'failed' as const, reason: 'no pid to measure' },
      ],
    };
    const md2 = renderMarkdown(withIdle);
    expect(md2).toContain('| livemirror | 0.012% | 0.45 | 60 s |');
    expect(md2).toContain('| lsyncd-tuned | — | — | — |');
    expect(md2).toContain('- lsyncd-tuned: failed: no pid to measure');
  });
  it('ssh workloads: latency rows per variant with the ratio to lsyncd-tuned; bigfile time ÷ floor, MiB on lo and its ratio to the change', () => {
    const hits = (...ms: number[]) => ms.map((x, i) => ({ i, ms: x }));
    const ssh = (contestant: 'livemirror' | 'lsyncd-tuned', label: string, ms: number[]) =>
      ({ workload: 'sshlatency', contestant, label, status: 'ok', deadlineMs: 30_000, pauseMs: 100, samples: hits(...ms), summary: summarizeLatency(hits(...ms)) }) as const;
    const big = (contestant: 'livemirror' | 'lsyncd-tuned' | 'floor', convergeMs: number, loRxBytes: number) =>
      ({ workload: 'bigfile', contestant, status: 'ok', sizeBytes: 1024 << 20, changedBytes: 1 << 20, deadlineMs: 265_000, runs: [{ startMs: 900, convergeMs, loRxBytes }] }) as const;
    const md2 = renderMarkdown({
      ...sampleReport,
      results: [
        ssh('livemirror', 'livemirror', [80, 90, 100]),
        ssh('livemirror', 'livemirror, no connection sharing', [300, 310, 320]),
        ssh('lsyncd-tuned', 'lsyncd-tuned', [290, 300, 350]),
        big('floor', 4000, 2 << 20),
        big('livemirror', 5000, 1.5 * (1 << 20)),
        { workload: 'bigfile', contestant: 'lsyncd-tuned', status: 'not installed', reason: 'needs root', sizeBytes: 1024 << 20, changedBytes: 1 << 20, deadlineMs: 265_000, runs: [] },
      ],
    });
    expect(md2).toContain('| contestant | samples | misses | p50 | p90 | p99 | max | p50 ÷ lsyncd-tuned |');
    expect(md2).toContain('| livemirror | 3 | 0 | 90 ms | 100 ms | 100 ms | 100 ms | 0.30× |');
    expect(md2).toContain('| livemirror, no connection sharing | 3 | 0 | 310 ms | 320 ms | 320 ms | 320 ms | 1.0× |');
    expect(md2).toContain('## Big file over ssh: 1 GiB, 1 MiB changed in the middle → one replica');
    const rows = md2.split('\n').filter((l) => /^\| (livemirror|lsyncd-tuned|floor) \| (1|not installed) \|/.test(l));
    expect(rows).toEqual(['| livemirror | 1 | 5.0 s | 1.3× | 1.50 | 1.5× |', '| lsyncd-tuned | not installed | — | — | — | — |', '| floor | 1 | 4.0 s | 1.0× | 2.00 | 2.0× |']);
    expect(md2).toContain('- lsyncd-tuned: needs root');
    // Their contestants (one ssh replica) are described in their sections, not by the local setups.
    expect(md2).not.toContain('## Contestants');
  });
});
