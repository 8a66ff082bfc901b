import { describe, expect, it } from 'vitest';
import { compile } from 'vega-lite';
import { burstBars, burstChartSpec, latencyChartSpec, latencyLabel, wantsLogScale } from './charts.js';
import { renderSvg } from './charts-render.js';
import { sampleReport } from './sample-report.fixture.js';
import type { BurstResult, LatencyResult } from './results.js';

const latency = sampleReport.results.filter((r): r is LatencyResult => r.workload === 'latency');
const burst = sampleReport.results.filter((r): r is BurstResult => r.workload === 'burst');

describe('latency chart', () => {
  const spec = latencyChartSpec(latency) as { data: { values: { contestant: string; ms: number }[] }; layer: { encoding: { x: { scale: unknown } } }[] };
  it('one point per sample that arrived, of contestants with figures only', () => {
    expect(spec.data.values).toHaveLength(5);
    expect(new Set(spec.data.values.map((v) => v.contestant))).toEqual(new Set(['livemirror (n=3)', 'rsync-loop (n=3, 1 miss)']));
  });
  it('log scale when the samples span more than 10×', () => {
    expect(spec.layer[0]!.encoding.x.scale).toMatchObject({ type: 'log' });
    expect(wantsLogScale([40, 60, 399])).toBe(false);
    expect(wantsLogScale([40, 15_000])).toBe(true);
  });
  it('labels name the misses', () => expect(latencyLabel(latency[1]!)).toBe('rsync-loop (n=3, 1 miss)'));
  it('compiles with vega-lite', () => expect(() => compile(latencyChartSpec(latency))).not.toThrow());
});

describe('burst chart', () => {
  it('two bars per contestant with figures: medians from the first and the last write', () => {
    expect(burstBars(burst)).toEqual([
      { size: '2,000 files in 200 directories', contestant: 'livemirror', measure: 'from first write', ms: 3000, label: '3.0 s' },
      { size: '2,000 files in 200 directories', contestant: 'livemirror', measure: 'from last write', ms: 1000, label: '1.0 s' },
      { size: '2,000 files in 200 directories', contestant: 'floor', measure: 'from first write', ms: 2500, label: '2.5 s' },
      { size: '2,000 files in 200 directories', contestant: 'floor', measure: 'from last write', ms: 500, label: '500 ms' },
    ]);
  });
  it('compiles with vega-lite', () => expect(() => compile(burstChartSpec(burst))).not.toThrow());
});

describe('renderSvg', () => {
  it('renders both charts to SVG without a canvas', async () => {
    for (const spec of [latencyChartSpec(latency), burstChartSpec(burst)]) {
      const svg = await renderSvg(spec);
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg).toContain('</svg>');
    }
  }, 30_000);
});
