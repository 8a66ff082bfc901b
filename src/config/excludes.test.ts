import { describe, expect, it } from 'vitest';
import { excludeMatcher } from './excludes.js';

describe('excludeMatcher (rsync pattern rules)', () => {
  it.each<[string, string, boolean, boolean]>([
    ['*.tmp', 'a.tmp', false, true],
    ['*.tmp', 'x/y/a.tmp', false, true],
    ['*.tmp', 'a.tmpl', false, false],
    ['.git/', '.git', true, true],
    ['.git/', '.git', false, false],
    ['.git/', 'src/.git/objects/ab', false, true],
    ['/cache', 'cache', true, true],
    ['/cache', 'www/cache', true, false],
    ['/cache', 'cache/x/y', false, true],
    ['cache/tmp', 'a/cache/tmp', true, true],
    ['cache/tmp', 'cache/tmp', true, true],
    ['cache/tmp', 'cache/tmpx', true, false],
    ['a/*/c', 'a/b/c', false, true],
    ['a/*/c', 'a/b/x/c', false, false],
    ['a/**/c', 'a/b/x/c', false, true],
    ['file?', 'file1', false, true],
    ['[ab].txt', 'b.txt', false, true],
    ['*', '', true, false],
  ])('%s vs %s (dir=%s) → %s', (pattern, p, isDir, want) => {
    expect(excludeMatcher([pattern])(p, isDir)).toBe(want);
  });

  it('matches nothing without patterns', () => {
    expect(excludeMatcher([])('anything', false)).toBe(false);
  });

  it('works on non-UTF-8 byte strings', () => {
    expect(excludeMatcher(['*.tmp'])('\xff\xfe.tmp', false)).toBe(true);
  });
});
