// The tree oracle's one digest. Runs ON a node (remote-script.ts sends this file over ssh as
// `node --input-type=module -e` with a call of `main` appended, so it must stay one
// self-contained file that imports only node built-ins) and in-process on this machine
// (local-tree.ts, for integration tests and benchmarks on local directories). Types: digest.d.mts.
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

const SLASH = Buffer.from('/');

/**
 * A path as entries show it: printable ASCII as is, '\\' as '\\\\', every other byte \\xNN.
 * @param {Buffer | string} path raw bytes, or a byte string (latin1: one char per byte)
 */
export function escapePath(path) {
  const b = typeof path === 'string' ? Buffer.from(path, 'latin1') : path;
  let s = '';
  for (const c of b) {
    if (c === 0x5c) s += '\\\\';
    else if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
    else s += '\\x' + c.toString(16).padStart(2, '0');
  }
  return s;
}

/**
 * The raw bytes of an escaped path (the inverse of escapePath).
 * @param {string} p
 */
export function unescapePath(p) {
  const out = [];
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '\\' && p[i + 1] === '\\') {
      out.push(0x5c);
      i++;
    } else if (p[i] === '\\' && p[i + 1] === 'x') {
      out.push(Number.parseInt(p.slice(i + 2, i + 4), 16));
      i += 3;
    } else {
      out.push(p.charCodeAt(i));
    }
  }
  return Buffer.from(out);
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

/**
 * The digest of the tree at `req.root` (see the header). Synchronous: it only reads.
 * @param {{ root: string, mode?: 'full' | 'summary', mtime?: 'files' | 'all' | 'none', owner?: boolean, exclude?: string[] }} req
 */
export function digest(req) {
  const root = Buffer.from(req.root, 'utf8');
  const excludes = (req.exclude ?? []).map((s) => new RegExp(s));
  const mtime = req.mtime ?? 'files';
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
      const p = escapePath(rel);
      if (excludes.some((re) => re.test(p))) continue;
      const abs = Buffer.concat([root, SLASH, rel]);
      try {
        const st = fs.lstatSync(abs);
        const entry = { p };
        const mt = Math.floor(st.mtimeMs / 1000);
        if (st.isFile()) {
          Object.assign(entry, { t: 'f', m: st.mode & 0o7777, s: st.size });
          if (mtime !== 'none') entry.mt = mt;
        } else if (st.isDirectory()) {
          Object.assign(entry, { t: 'd', m: st.mode & 0o7777 });
          if (mtime === 'all') entry.mt = mt;
          stack.push(rel);
        } else if (st.isSymbolicLink()) {
          Object.assign(entry, { t: 'l', m: st.mode & 0o7777 });
          if (mtime !== 'none') entry.mt = mt;
        } else {
          Object.assign(entry, { t: 'o', m: st.mode & 0o7777 });
        }
        if (req.owner) Object.assign(entry, { u: st.uid, g: st.gid });
        if (st.isFile()) entry.h = hashFile(abs);
        if (st.isSymbolicLink()) entry.l = escapePath(fs.readlinkSync(abs, { encoding: 'buffer' }));
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
  return out;
}

/** What remote-script.ts calls on a node: the request in, the JSON answer out. */
export const main = digest;
