// Runs ON a node (remote-script.ts sends it as `node --input-type=module -e` with a call of `main`
// appended; self-contained, built-ins only). Executes a churn plan made by churn-plan.ts.
//
// Request:  { root, ops: [op], opsPerSecond (0 = as fast as possible), deadlineMs, tolerant }
//   op paths (path, from, to) and symlink targets are base64 of the raw bytes, relative to root.
//   With tolerant false the first failing op stops the run; with true failures are counted.
// Response: { applied, failed: [{ index, op, code, message }], elapsedMs, stoppedByDeadline }
//
// File content is a pure function of (seed, length), the same everywhere (see `bytes`).
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** Deterministic bytes: xorshift32 seeded with `seed`. */
function bytes(seed, length) {
  const out = Buffer.allocUnsafe(length);
  let x = (seed >>> 0) || 0x9e3779b9;
  for (let i = 0; i < length; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    for (let k = 0; k < 4 && i + k < length; k++) out[i + k] = (x >>> (k * 8)) & 0xff;
  }
  return out;
}

function writeAt(path, flags, data, position) {
  const fd = fs.openSync(path, flags, 0o644);
  try {
    let off = 0;
    while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off, position === null ? null : position + off);
  } finally {
    fs.closeSync(fd);
  }
}

function run(abs, op) {
  switch (op.op) {
    case 'write':
      return writeAt(abs(op.path), 'w', bytes(op.seed, op.size), null);
    case 'modify':
      return writeAt(abs(op.path), 'r+', bytes(op.seed, op.size), op.offset);
    case 'append':
      return writeAt(abs(op.path), 'a', bytes(op.seed, op.size), null);
    case 'truncate':
      return fs.truncateSync(abs(op.path), op.size);
    case 'unlink':
      return fs.unlinkSync(abs(op.path));
    case 'rename':
      return fs.renameSync(abs(op.from), abs(op.to));
    case 'mkdirp':
      return fs.mkdirSync(abs(op.path), { recursive: true });
    case 'rmrf':
      return fs.rmSync(abs(op.path), { recursive: true, force: true });
    case 'chmod':
      return fs.chmodSync(abs(op.path), op.mode);
    case 'symlink':
      return fs.symlinkSync(Buffer.from(op.target, 'base64'), abs(op.path));
    default:
      throw Object.assign(new Error(`unknown op ${op.op}`), { code: 'EINVAL' });
  }
}

/** Applies `req.ops` under `req.root`, paced; resolves the result (see the header). */
export async function main(req) {
  const root = Buffer.from(req.root, 'utf8');
  const abs = (b64) => Buffer.concat([root, Buffer.from('/'), Buffer.from(b64, 'base64')]);
  const start = performance.now();
  const rate = req.opsPerSecond > 0 ? req.opsPerSecond : 0;
  const failed = [];
  let applied = 0;
  let stoppedByDeadline = false;
  for (let i = 0; i < req.ops.length; i++) {
    if (performance.now() - start > req.deadlineMs) {
      stoppedByDeadline = true;
      break;
    }
    if (rate) {
      const due = start + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await delay(wait);
    }
    const op = req.ops[i];
    try {
      run(abs, op);
      applied++;
    } catch (e) {
      failed.push({ index: i, op: op.op, code: e.code ?? 'ERR', message: String(e.message) });
      if (!req.tolerant) break;
    }
  }
  return { applied, failed, elapsedMs: performance.now() - start, stoppedByDeadline };
}
