// Runs ON a node (sent over ssh as `node --input-type=module -e`, so it must stay one
// self-contained file that imports only node built-ins). Reads a JSON request on stdin and prints
// the digest of a tree as JSON on stdout.
//
// Request:  { root, mode: 'full'|'summary', mtime: 'files'|'all'|'none', owner: bool, exclude: [regex source] }
// Response: { root, count, hash, vanished, entries? }
//
// One entry per path below root (root itself excluded), sorted by the raw bytes of the path:
//   p  path relative to root, hex-escaped: printable ASCII as is, '\' as '\\', other bytes \xNN
//   t  'f' file | 'd' directory | 'l' symlink | 'o' other
//   m  permission bits (mode & 0o7777)
//   s  size (files only)
//   mt mtime in whole seconds (files and symlinks, or also directories with mtime 'all')
//   u,g owner ids (with owner: true)
//   h  sha256 of the content (files)
//   l  symlink target, hex-escaped
// `hash` is the sha256 of the entries' canonical JSON lines, so two trees agree on `hash` exactly
// when they agree on every entry. `exclude` patterns are matched against the escaped path.
import { Buffer } from 'node:buffer';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import process from 'node:process';

// stdin may be non-blocking (an ssh channel): read it as a stream, never with readFileSync(0).
const input = [];
for await (const chunk of process.stdin) input.push(chunk);
const req = JSON.parse(Buffer.concat(input).toString('utf8'));
const root = Buffer.from(req.root, 'utf8');
const excludes = (req.exclude ?? []).map((s) => new RegExp(s));
const SLASH = Buffer.from('/');

/** @param {Buffer} b */
function escape(b) {
  let s = '';
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return s;
}

const chunk = Buffer.allocUnsafe(1 << 20);
/** @param {Buffer} path */
function hashFile(path) {
  const h = createHash('sha256');
  const fd = fs.openSync(path, 'r');
  try {
    for (;;) {
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n <= 0) break;
      h.update(chunk.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

const isGone = (e) => e && (e.code === 'ENOENT' || e.code === 'ENOTDIR');

/** @type {{rel: Buffer, entry: Record<string, unknown>}[]} */
const found = [];
let vanished = 0;
/** @type {Buffer[]} relative directory paths still to list ('' = root) */
const stack = [Buffer.alloc(0)];
while (stack.length > 0) {
  const relDir = stack.pop();
  const absDir = relDir.length ? Buffer.concat([root, SLASH, relDir]) : root;
  let names;
  try {
    names = fs.readdirSync(absDir, { encoding: 'buffer' });
  } catch (e) {
    if (relDir.length && isGone(e)) {
      vanished++;
      continue;
    }
    throw e;
  }
  for (const name of names) {
    const rel = relDir.length ? Buffer.concat([relDir, SLASH, name]) : name;
    const p = escape(rel);
    if (excludes.some((re) => re.test(p))) continue;
    const abs = Buffer.concat([root, SLASH, rel]);
    try {
      const st = fs.lstatSync(abs);
      const entry = { p };
      const mt = Math.floor(st.mtimeMs / 1000);
      if (st.isFile()) {
        Object.assign(entry, { t: 'f', m: st.mode & 0o7777, s: st.size });
        if (req.mtime !== 'none') entry.mt = mt;
      } else if (st.isDirectory()) {
        Object.assign(entry, { t: 'd', m: st.mode & 0o7777 });
        if (req.mtime === 'all') entry.mt = mt;
        stack.push(rel);
      } else if (st.isSymbolicLink()) {
        Object.assign(entry, { t: 'l', m: st.mode & 0o7777 });
        if (req.mtime !== 'none') entry.mt = mt;
      } else {
        Object.assign(entry, { t: 'o', m: st.mode & 0o7777 });
      }
      if (req.owner) Object.assign(entry, { u: st.uid, g: st.gid });
      if (st.isFile()) entry.h = hashFile(abs);
      if (st.isSymbolicLink()) entry.l = escape(fs.readlinkSync(abs, { encoding: 'buffer' }));
      found.push({ rel, entry });
    } catch (e) {
      if (!isGone(e)) throw e;
      vanished++;
    }
  }
}

found.sort((a, b) => Buffer.compare(a.rel, b.rel));
const all = createHash('sha256');
for (const { entry } of found) all.update(JSON.stringify(entry) + '\n');
const out = { root: req.root, count: found.length, hash: all.digest('hex'), vanished };
if (req.mode === 'full') out.entries = found.map((f) => f.entry);
process.stdout.write(JSON.stringify(out));
