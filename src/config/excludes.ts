import picomatch from 'picomatch';
import { parentOf, type RelPath } from '../core/path.js';

/**
 * rsync-style exclude patterns as a predicate over byte-string paths.
 *
 * The rsync rules kept here (man rsync, "INCLUDE/EXCLUDE PATTERN RULES"):
 *  - a trailing `/` matches directories only;
 *  - a leading `/` anchors the pattern at the root of the tree;
 *  - a pattern with no other `/` matches the last component at any depth (`*.tmp`, `.git/`);
 *  - a pattern with a `/` inside matches the end of the path (`cache/tmp` matches `a/cache/tmp`);
 *  - `*` stops at `/`, `**` does not, `?` and `[...]` as usual;
 *  - what lies below an excluded directory is excluded too (rsync does not descend into it).
 * The same patterns go to rsync as `--exclude`, so the watcher and rsync agree.
 */
export function excludeMatcher(patterns: readonly string[]): (path: RelPath, isDir: boolean) => boolean {
  if (patterns.length === 0) return () => false;
  const rules = patterns.map(compile);
  const matchOne = (p: RelPath, isDir: boolean) => rules.some((r) => (isDir || !r.dirOnly) && r.test(p));
  return (p, isDir) => {
    if (p === '') return false;
    if (matchOne(p, isDir)) return true;
    for (let dir = parentOf(p); dir !== ''; dir = parentOf(dir)) if (matchOne(dir, true)) return true;
    return false;
  };
}

interface Rule {
  dirOnly: boolean;
  test: (p: RelPath) => boolean;
}

function compile(pattern: string): Rule {
  let pat = pattern;
  const dirOnly = pat.endsWith('/');
  if (dirOnly) pat = pat.replace(/\/+$/, '');
  const anchored = pat.startsWith('/');
  if (anchored) pat = pat.replace(/^\/+/, '');
  const opts = { dot: true, nonegate: true, nobrace: true, noextglob: true };
  if (!anchored && !pat.includes('/')) {
    const m = picomatch(pat, opts);
    return { dirOnly, test: (p) => m(p.slice(p.lastIndexOf('/') + 1)) };
  }
  const m = picomatch(anchored ? pat : `**/${pat}`, opts);
  return { dirOnly, test: (p) => m(p) };
}
