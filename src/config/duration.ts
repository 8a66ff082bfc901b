/**
 * Parses a human duration ("250ms", "1.5s", "2m", "1h", or a bare number of the default unit)
 * into the given unit. Returns undefined for anything else.
 */
const unitMs: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(v: unknown, to: 'ms' | 's'): number | undefined {
  const scale = to === 'ms' ? 1 : 1000;
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(v);
  if (!m || m[1] === undefined) return undefined;
  const n = Number(m[1]);
  const factor = m[2] ? (unitMs[m[2]] ?? 1) : scale;
  return (n * factor) / scale;
}

/** A duration in ms the way the config file writes it: "30ms", "1.5s", "2m", "1h". */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    const v = ms / size;
    if (v >= 1 && Number.isInteger(v * 10)) return `${v}${unit}`;
  }
  return `${ms}ms`;
}
