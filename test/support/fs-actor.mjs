// Performs file operations in a process of its own, so that sources which know the writer see
// a pid other than the test's (and do not drop the writes as the daemon's own).
// Usage: node fs-actor.mjs ROOT OPS_JSON — OPS_JSON is an array of [op, ...args]; every path is
// relative to ROOT (or absolute) and given as a latin1 string: one char per byte, so non-UTF-8
// names pass through. Prints nothing; exits 1 with the failing op on stderr.
import { Buffer } from 'node:buffer';
import * as fs from 'node:fs';
import process from 'node:process';
import { join } from 'node:path';

const [root, opsJson] = process.argv.slice(2);
const p = (s) => (s.startsWith('/') ? Buffer.from(s, 'latin1') : Buffer.from(join(root, s), 'latin1'));
const ops = {
  write: (f, text) => fs.writeFileSync(p(f), text),
  append: (f, text) => fs.appendFileSync(p(f), text),
  truncate: (f, len) => fs.truncateSync(p(f), len),
  chmod: (f, mode) => fs.chmodSync(p(f), mode),
  rm: (f) => fs.rmSync(p(f), { recursive: true, force: true }),
  mkdirp: (d) => fs.mkdirSync(p(d), { recursive: true }),
  rename: (a, b) => fs.renameSync(p(a), p(b)),
  link: (a, b) => fs.linkSync(p(a), p(b)),
  symlink: (target, f) => fs.symlinkSync(target, p(f)),
  /** Waits ms before the next op (so a test can learn this process's pid first). */
  sleep: (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms),
  /** `dirs` directories spread over 10 parents, `files` files of a few lines in each. */
  burst: (d, dirs, files) => {
    for (let i = 0; i < dirs; i++) {
      const dir = `${d}/d${i % 10}/dir${i}`;
      fs.mkdirSync(p(dir), { recursive: true });
      for (let f = 0; f < files; f++) fs.writeFileSync(p(`${dir}/file${f}`), `dir ${i} file ${f}\n`.repeat(1 + ((i * f) % 7)));
    }
  },
  /** A file written in `chunks` chunks of `bytes`, `ms` apart, then closed (an upload). */
  grow: (f, bytes, chunks, ms) => {
    const fd = fs.openSync(p(f), 'w');
    const chunk = Buffer.alloc(bytes, 'u');
    for (let i = 0; i < chunks; i++) {
      fs.writeSync(fd, chunk);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
    }
    fs.closeSync(fd);
  },
  /** n files of a few bytes in dir (made first). */
  many: (d, n) => {
    fs.mkdirSync(p(d), { recursive: true });
    for (let i = 0; i < n; i++) fs.writeFileSync(p(`${d}/f${i}`), `${i}\n`);
  },
};
for (const [op, ...args] of JSON.parse(opsJson)) {
  try {
    ops[op](...args);
  } catch (e) {
    process.stderr.write(`${op} ${JSON.stringify(args)}: ${e.message}\n`);
    process.exit(1);
  }
}
