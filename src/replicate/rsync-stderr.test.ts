import { describe, expect, it } from 'vitest';
import { classifyStderrLine, sourceRaces, StderrTally, unescapeName } from './rsync-stderr.js';

describe('classifyStderrLine', () => {
  it.each([
    ['file has vanished: "/src/d/f2078"', { kind: 'race', path: '/src/d/f2078' }],
    ['directory has vanished: "/src/d239"', { kind: 'race', path: '/src/d239' }],
    ['rsync: [sender] send_files failed to open "/src/d/f475": Too many levels of symbolic links (40)', { kind: 'race', path: '/src/d/f475' }],
    ['rsync: [sender] send_files failed to open "/src/a": No such file or directory (2)', { kind: 'race', path: '/src/a' }],
    ['rsync: [sender] send_files failed to open "/src/a": Not a directory (20)', { kind: 'race', path: '/src/a' }],
    ['rsync: [sender] readlink_stat("/src/l") failed: No such file or directory (2)', { kind: 'race', path: '/src/l' }],
    ['rsync: [sender] opendir "/src/d" failed: No such file or directory (2)', { kind: 'race', path: '/src/d' }],
    ['rsync: [sender] readlink_stat("/src/d/f697") failed: Invalid argument (22)', { kind: 'race', path: '/src/d/f697' }],
    ['rsync: [sender] opendir "/src/d" failed: Invalid argument (22)', { kind: 'other' }],
    ['rsync: [sender] opendir "/src/d" failed: Permission denied (13)', { kind: 'other' }],
    ['file has vanished: "/src/with \\"quote\\" and \\#012newline"', { kind: 'race', path: '/src/with \\"quote\\" and \nnewline' }],
    ['IO error encountered -- skipping file deletion', { kind: 'deletions-skipped' }],
    ['rsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]', { kind: 'summary' }],
    ['rsync warning: some files vanished before they could be transferred (code 24) at main.c(1394) [sender=3.5.0]', { kind: 'summary' }],
    ['', { kind: 'summary' }],
    ['Control socket connect(/run/user/0/livemirror-4242-aB3dE9/master.sock): Connection refused', { kind: 'summary' }],
    // Not races: the sender cannot read, or the receiver failed.
    ['rsync: [sender] send_files failed to open "/src/secret": Permission denied (13)', { kind: 'other' }],
    ['rsync: [receiver] write failed on "/c/f" (in data): No space left on device (28)', { kind: 'other' }],
    ['rsync: [generator] failed to set times on "/dst/x": Operation not permitted (1)', { kind: 'other' }],
    ['cannot delete non-empty directory: d', { kind: 'other' }],
  ] as const)('%j', (line, want) => expect(classifyStderrLine(line)).toEqual(want));

  it('unescapes \\#ooo to the raw byte', () => {
    expect(unescapeName('a\\#377b\\#012')).toBe('a\xffb\n');
  });
});

describe('StderrTally + sourceRaces', () => {
  const tally = (text: string, max?: number) => {
    const t = new StderrTally(max);
    // in odd chunks, as a pipe delivers them
    for (let i = 0; i < text.length; i += 7) t.push(text.slice(i, i + 7));
    return t.end();
  };

  it('a run that only met source races gives their paths relative to the root', () => {
    const s = tally('file has vanished: "/srv/data/a/b"\nrsync: [sender] send_files failed to open "/srv/data/c": Too many levels of symbolic links (40)\nrsync error: some files/attrs were not transferred (see previous errors) (code 23) at main.c(1394) [sender=3.5.0]');
    expect(s).toEqual({ racePaths: ['/srv/data/a/b', '/srv/data/c'], racesTruncated: false, deletionsSkipped: false, other: 0 });
    expect(sourceRaces(s, '/srv/data')).toEqual(['a/b', 'c']);
    expect(sourceRaces(s, '/srv/data/')).toEqual(['a/b', 'c']);
  });

  it('any other complaint makes it a real failure', () => {
    const s = tally('file has vanished: "/srv/data/a"\nrsync: [receiver] write failed on "/srv/x": No space left on device (28)\n');
    expect(s.other).toBe(1);
    expect(sourceRaces(s, '/srv/data')).toBeUndefined();
  });

  it('no race at all, a path outside the root, or too many to keep: not a source race', () => {
    expect(sourceRaces(tally('rsync error: x (code 23)\n'), '/srv/data')).toBeUndefined();
    expect(sourceRaces(tally('file has vanished: "/elsewhere/a"\n'), '/srv/data')).toBeUndefined();
    const many = tally('file has vanished: "/srv/data/a"\nfile has vanished: "/srv/data/b"\nfile has vanished: "/srv/data/c"\n', 2);
    expect(many.racesTruncated).toBe(true);
    expect(sourceRaces(many, '/srv/data')).toBeUndefined();
  });

  it('notes skipped deletions; keeps the bytes of a non-UTF-8 root', () => {
    const s = tally('IO error encountered -- skipping file deletion\nfile has vanished: "/r\xc3\xa9/x"\n');
    expect(s.deletionsSkipped).toBe(true);
    expect(sourceRaces(s, '/ré')).toEqual(['x']);
  });
});
