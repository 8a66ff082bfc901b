/**
 * The charts' vega-lite specs (pure; charts-render.ts turns them into SVG):
 *  - latency: every sample of every contestant as a tick over a box plot (min-max whiskers),
 *    on a log scale when the slowest sample is over 10× the fastest (lsyncd-default's 15 s
 *    beside tens of milliseconds); misses are named in the contestant's label;
 *  - burst: per size, the median convergence time per contestant from the first and from the
 *    last write, as grouped bars.
 */
import type { TopLevelSpec } from 'vega-lite';
import { CONTESTANTS } from './config.js';
import { fmtMs, sizeLabel } from './format.js';
import type { BurstResult, LatencyResult } from './results.js';
import { isHit, median } from './stats.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/** The label of a contestant's row: its name, the sample count and any misses. */
export function latencyLabel(r: LatencyResult): string {
  const m = r.summary.misses;
  return `${r.contestant} (n=${r.summary.n}${m > 0 ? `, ${m} miss${m === 1 ? '' : 'es'}` : ''})`;
}

/** Log scale when the samples span more than 10×: on a linear one the fast contestants are one stroke. */
export function wantsLogScale(ms: readonly number[]): boolean {
  const pos = ms.filter((x) => x > 0);
  return pos.length > 1 && Math.max(...pos) / Math.min(...pos) > 10;
}

export function latencyChartSpec(results: readonly LatencyResult[]): TopLevelSpec {
  const ok = results.filter((r) => r.status === 'ok').sort((a, b) => CONTESTANTS.indexOf(a.contestant) - CONTESTANTS.indexOf(b.contestant));
  const values = ok.flatMap((r) => r.samples.filter(isHit).map((s) => ({ contestant: latencyLabel(r), ms: Math.max(0.1, s.ms) })));
  const log = wantsLogScale(values.map((v) => v.ms));
  const y = { field: 'contestant', type: 'nominal' as const, title: null, sort: ok.map(latencyLabel) };
  const x = { field: 'ms', type: 'quantitative' as const, title: `latency, ms${log ? ' (log scale)' : ''}`, scale: log ? { type: 'log' as const, nice: false, padding: 12 } : { zero: true } };
  return {
    $schema: SCHEMA,
    title: { text: 'One small file → present on all replicas', subtitle: 'every sample a tick; boxes: quartiles, whiskers: min to max' },
    width: 560,
    background: 'white',
    data: { values },
    layer: [
      { mark: { type: 'boxplot', extent: 'min-max', opacity: 0.35, size: 18 }, encoding: { y, x } },
      { mark: { type: 'tick', thickness: 1.5, size: 14, color: '#333' }, encoding: { y, x } },
    ],
  };
}

export interface BurstBar {
  readonly size: string;
  readonly contestant: string;
  readonly measure: 'from first write' | 'from last write';
  readonly ms: number;
  readonly label: string;
}

/** The bars: per size and contestant with figures, the median over runs from the first and from the last write. */
export function burstBars(results: readonly BurstResult[]): BurstBar[] {
  const ok = results.filter((r) => r.status === 'ok' && r.runs.length > 0).sort((a, b) => CONTESTANTS.indexOf(a.contestant) - CONTESTANTS.indexOf(b.contestant));
  return ok.flatMap((r) =>
    (['from first write', 'from last write'] as const).map((measure) => {
      const ms = median(r.runs.map((x) => (measure === 'from first write' ? x.fromFirstMs : x.fromLastMs)));
      return { size: sizeLabel(r.size), contestant: r.contestant, measure, ms, label: fmtMs(ms) };
    }),
  );
}

export function burstChartSpec(results: readonly BurstResult[]): TopLevelSpec {
  const values = burstBars(results);
  const y = { field: 'contestant', type: 'nominal' as const, title: null, sort: [...CONTESTANTS] };
  return {
    $schema: SCHEMA,
    title: { text: 'Burst of small files → converged on all replicas', subtitle: 'median over runs; each size on its own scale' },
    background: 'white',
    data: { values },
    facet: { row: { field: 'size', type: 'nominal', title: null, header: { labelAngle: 0, labelOrient: 'top', labelAnchor: 'start', labelFontWeight: 'bold', labelFontSize: 12 } } },
    resolve: { scale: { x: 'independent' } },
    spec: {
      width: 480,
      encoding: {
        y,
        yOffset: { field: 'measure', type: 'nominal', sort: ['from first write', 'from last write'] },
        x: { field: 'ms', type: 'quantitative', title: 'ms until converged' },
      },
      layer: [
        { mark: { type: 'bar' }, encoding: { color: { field: 'measure', type: 'nominal', title: null, sort: ['from first write', 'from last write'] } } },
        { mark: { type: 'text', align: 'left', dx: 3, fontSize: 9 }, encoding: { text: { field: 'label', type: 'nominal' } } },
      ],
    },
  };
}
