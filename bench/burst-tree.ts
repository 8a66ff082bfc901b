/**
 * The burst's tree: FILES small files spread over DIRS directories, grouped under 10 top
 * directories (`d3/dir13/file4`), each a few lines of text of varying length. The layout is pure
 * (and tested); `writeBurst` writes it synchronously, as fast as this process can.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { BurstSize } from './config.js';

export interface BurstDir {
  /** Relative to the source root, '/'-separated. */
  readonly rel: string;
  readonly files: readonly { readonly name: string; readonly content: string }[];
}

/** The directories and files of a burst, in writing order. Files are spread evenly (the first dirs get one more). */
export function burstLayout(size: Pick<BurstSize, 'files' | 'dirs'>): BurstDir[] {
  const out: BurstDir[] = [];
  const base = Math.floor(size.files / size.dirs);
  const extra = size.files % size.dirs;
  for (let d = 0; d < size.dirs; d++) {
    const n = base + (d < extra ? 1 : 0);
    const files = Array.from({ length: n }, (_, f) => ({ name: `file${f}`, content: `dir ${d} file ${f}\n`.repeat(1 + ((d * f) % 7)) }));
    out.push({ rel: `d${d % 10}/dir${d}`, files });
  }
  return out;
}

/** What each replica must hold when converged: directory → file name → size in bytes. */
export function expectedSizes(layout: readonly BurstDir[]): Map<string, Map<string, number>> {
  return new Map(layout.map((d) => [d.rel, new Map(d.files.map((f) => [f.name, Buffer.byteLength(f.content)]))]));
}

/** Writes the layout below `source`; resolves the time (performance.now) of the first and the last write. */
export function writeBurst(source: string, layout: readonly BurstDir[]): { first: number; last: number } {
  const first = performance.now();
  for (const d of layout) {
    const dir = path.join(source, d.rel);
    mkdirSync(dir, { recursive: true });
    for (const f of d.files) writeFileSync(path.join(dir, f.name), f.content);
  }
  return { first, last: performance.now() };
}
