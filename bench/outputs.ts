/**
 * Writes a run's files: bench-<stamp>.json (the BenchReport), bench-<stamp>.md and the charts
 * bench-<stamp>-latency.svg / -burst.svg; with `publish`, the markdown and the charts once more
 * under fixed names in docs/bench/ (README.md, latency.svg, burst.svg) for the README to link.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { burstChartSpec, latencyChartSpec } from './charts.js';
import { renderSvg } from './charts-render.js';
import { renderMarkdown, type ChartLinks } from './report.js';
import type { BenchReport, BurstResult, LatencyResult } from './results.js';

export const repoRoot = path.resolve(import.meta.dirname, '..');

/** 2025-12-02T03:50:54.369Z → 2025-12-02T03-50-54Z (no colons in file names). */
export const stampOf = (iso: string): string => iso.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');

/** Where a run's JSON goes (written again after every workload, so a crash keeps what was measured). */
export const jsonPath = (outDir: string, r: BenchReport): string => path.join(outDir, `bench-${stampOf(r.startedAt)}.json`);

export function saveJson(outDir: string, r: BenchReport): string {
  const f = jsonPath(outDir, r);
  writeFileSync(f, JSON.stringify(r, null, 2) + '\n');
  return f;
}

/** Renders the charts and the table next to the JSON (and to docs/bench/ with `publish`); the files written. */
export async function writeOutputs(outDir: string, r: BenchReport, publish: boolean): Promise<string[]> {
  mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, `bench-${stampOf(r.startedAt)}`);
  const latency = r.results.filter((x): x is LatencyResult => x.workload === 'latency');
  const burst = r.results.filter((x): x is BurstResult => x.workload === 'burst');
  const svgs: { key: keyof ChartLinks; svg: string }[] = [];
  if (latency.some((x) => x.status === 'ok')) svgs.push({ key: 'latency', svg: await renderSvg(latencyChartSpec(latency)) });
  if (burst.some((x) => x.status === 'ok')) svgs.push({ key: 'burst', svg: await renderSvg(burstChartSpec(burst)) });
  const written: string[] = [];
  const write = (f: string, text: string) => {
    writeFileSync(f, text);
    written.push(f);
  };
  for (const s of svgs) write(`${base}-${s.key}.svg`, s.svg);
  write(`${base}.md`, renderMarkdown(r, Object.fromEntries(svgs.map((s) => [s.key, `${path.basename(base)}-${s.key}.svg`]))));
  if (publish) {
    const docs = path.join(repoRoot, 'docs', 'bench');
    mkdirSync(docs, { recursive: true });
    for (const s of svgs) write(path.join(docs, `${s.key}.svg`), s.svg);
    write(path.join(docs, 'README.md'), renderMarkdown(r, Object.fromEntries(svgs.map((s) => [s.key, `${s.key}.svg`]))));
  }
  return written;
}
