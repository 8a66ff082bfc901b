/**
 * copySmallFiles on real trees: what it copies must be what `rsync -a` makes (content, mode,
 * mtime to the nanosecond, an atomic replace), and everything it must not touch goes back to
 * rsync untouched.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { copySmallFiles } from './local-copy.js';

const roots: string[] = [];
function trees(): { src: string; dst: string } {
  const base = mkdtempSync(path.join(os.tmpdir(), 'lm-lcopy-'));
  roots.push(base);
  const src = path.join(base, 'src');
  const dst = path.join(base, 'dst');
  mkdirSync(src);
  mkdirSync(dst);
  return { src, dst };
}
afterEach(() => {
  for (const r of roots.splice(0)) rmSync(r, { recursive: true, force: true });
});

describe('copySmallFiles', () => {
  it('copies content, mode and the mtime to the nanosecond, replacing the old file by a rename', async () => {
    const { src, dst } = trees();
    mkdirSync(path.join(src, 'd'));
    mkdirSync(path.join(dst, 'd'));
    writeFileSync(path.join(src, 'd/f.txt'), 'new content\n');
    chmodSync(path.join(src, 'd/f.txt'), 0o640);
    // The kernel's own mtime, nanoseconds and all: Node's utimes could not reproduce it.
    writeFileSync(path.join(dst, 'd/f.txt'), 'old');
    const oldIno = statSync(path.join(dst, 'd/f.txt')).ino;
    const r = await copySmallFiles(['d/f.txt'], { sourceRoot: src, replicaRoot: dst, maxBytes: 1024 });
    expect(r).toMatchObject({ copied: ['d/f.txt'], rest: [], stats: { filesTransferred: 1, transferredBytes: 12 } });
    const s = statSync(path.join(src, 'd/f.txt'), { bigint: true });
    const d = statSync(path.join(dst, 'd/f.txt'), { bigint: true });
    expect(readFileSync(path.join(dst, 'd/f.txt'), 'utf8')).toBe('new content\n');
    expect(d.mode & 0o7777n).toBe(0o640n);
    expect(d.mtimeNs).toBe(s.mtimeNs);
    expect(d.ino).not.toBe(BigInt(oldIno)); // a new file renamed over the old one, not rewritten in place
    expect(readdirSync(path.join(dst, 'd'))).toEqual(['f.txt']); // no temporary left
  });

  it('takes any name the kernel does (not UTF-8, newline, leading dash)', async () => {
    const { src, dst } = trees();
    const name = Buffer.from('-x\n\xff.txt', 'latin1');
    writeFileSync(Buffer.concat([Buffer.from(`${src}/`), name]), 'hostile\n');
    const rel = name.toString('latin1');
    const r = await copySmallFiles([rel], { sourceRoot: src, replicaRoot: dst, maxBytes: 1024 });
    expect(r.copied).toEqual([rel]);
    expect(readFileSync(Buffer.concat([Buffer.from(`${dst}/`), name]), 'utf8')).toBe('hostile\n');
  });

  it('leaves to rsync what it must not copy, and touches none of it', async () => {
    const { src, dst } = trees();
    writeFileSync(path.join(src, 'big'), Buffer.alloc(2048));
    symlinkSync('big', path.join(src, 'link'));
    mkdirSync(path.join(src, 'newdir'));
    writeFileSync(path.join(src, 'newdir/f'), 'x'); // its directory is not on the replica yet
    writeFileSync(path.join(src, 'wasdir'), 'x');
    mkdirSync(path.join(dst, 'wasdir')); // a directory on the replica where the source has a file
    // A symlink on the replica where the source has a directory: never followed.
    const outside = mkdtempSync(path.join(os.tmpdir(), 'lm-lcopy-outside-'));
    roots.push(outside);
    mkdirSync(path.join(src, 'sub'));
    writeFileSync(path.join(src, 'sub/f'), 'x');
    symlinkSync(outside, path.join(dst, 'sub'));
    const paths = ['big', 'gone', 'link', 'newdir/f', 'sub/f', 'wasdir'];
    const r = await copySmallFiles(paths, { sourceRoot: src, replicaRoot: dst, maxBytes: 1024 });
    expect(r.copied).toEqual([]);
    expect(r.rest).toEqual(paths);
    expect(r.stats.filesTransferred).toBe(0);
    expect(readdirSync(outside)).toEqual([]);
    expect(existsSync(path.join(dst, 'big'))).toBe(false);
    expect(lstatSync(path.join(dst, 'wasdir')).isDirectory()).toBe(true);
    expect(readdirSync(dst).sort()).toEqual(['sub', 'wasdir']);
  });

  it('copies nothing once the run is stopped', async () => {
    const { src, dst } = trees();
    writeFileSync(path.join(src, 'f'), 'x');
    const stop = new AbortController();
    stop.abort();
    const r = await copySmallFiles(['f'], { sourceRoot: src, replicaRoot: dst, maxBytes: 1024, signal: stop.signal });
    expect(r.rest).toEqual(['f']);
    expect(existsSync(path.join(dst, 'f'))).toBe(false);
  });
});
