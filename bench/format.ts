/** How the report and the charts write figures (pure): times, ratios, counts, burst sizes. */
import type { BurstSize } from './config.js';

/** 8.3 ms, 83 ms, 15.1 s, 123 s; '—' for no figure. */
export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 100_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 1000).toFixed(0)} s`;
}

/** 0.52×, 3.1×, 15×; '—' for no figure. */
export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return '—';
  if (r < 10) return `${r.toFixed(r < 1 ? 2 : 1)}×`;
  return `${r.toFixed(0)}×`;
}

/** 10,000 (en-US grouping, whatever the machine's locale). */
export const fmtCount = (n: number): string => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: 1 }) : '—');

export const sizeLabel = (s: Pick<BurstSize, 'files' | 'dirs'>): string => `${fmtCount(s.files)} files in ${fmtCount(s.dirs)} directories`;
