// Runs ON a node (remote-script.ts sends it as `node --input-type=module -e` with a call of `main`
// appended; self-contained, built-ins only).
// A slow uploader, like an FTP client on a thin line: opens one file, writes it in chunks spread
// evenly over `durationMs` (first chunk at once, last at durationMs) with the file open the
// whole time, then closes it.
//
// Request:  { path (absolute, base64 of raw bytes), totalBytes, chunks, durationMs, seed, fsync }
// Response: { bytes, chunks, elapsedMs }
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** Deterministic bytes for chunk `i`: xorshift32 seeded with (seed, i). */
function bytes(seed, i, length) {
  const out = Buffer.allocUnsafe(length);
  let x = ((seed >>> 0) ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0 || 1;
  for (let k = 0; k < length; k += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    for (let j = 0; j < 4 && k + j < length; j++) out[k + j] = (x >>> (j * 8)) & 0xff;
  }
  return out;
}

/** Writes the file as the header says; resolves `{ bytes, chunks, elapsedMs }`. */
export async function main(req) {
  const path = Buffer.from(req.path, 'base64');
  const chunks = Math.max(1, req.chunks | 0);
  const start = performance.now();
  const fd = fs.openSync(path, 'w', 0o644);
  let written = 0;
  try {
    for (let i = 0; i < chunks; i++) {
      const due = chunks === 1 ? 0 : (i * req.durationMs) / (chunks - 1);
      const wait = start + due - performance.now();
      if (wait > 0) await delay(wait);
      const size = Math.floor((req.totalBytes * (i + 1)) / chunks) - written;
      const data = bytes(req.seed, i, size);
      let off = 0;
      while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
      written += size;
      if (req.fsync) fs.fsyncSync(fd);
    }
  } finally {
    fs.closeSync(fd);
  }
  return { bytes: written, chunks, elapsedMs: performance.now() - start };
}
