import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { commandLine, op, quoteArg, script } from './shell-quote.js';

const nasty: Buffer[] = [
  Buffer.from(''),
  Buffer.from('plain'),
  Buffer.from('with space'),
  Buffer.from("it's"),
  Buffer.from("''"),
  Buffer.from('$(reboot)`id`$HOME'),
  Buffer.from('-rf'),
  Buffer.from('a\nb\tc'),
  Buffer.from('*?[a]{b,c}~'),
  Buffer.from('back\\slash "dq"'),
  Buffer.from('; rm -rf / #'),
  Buffer.from('été/日本'),
  Buffer.from([0x66, 0xff, 0xfe, 0x80, 0x27, 0x20]),
];

/** Runs `printf '%s\0' ARGS` through a real shell fed on stdin (bytes survive that way). */
function roundTrip(shell: string, args: readonly Buffer[]): Buffer[] {
  const cmd = Buffer.concat([commandLine([Buffer.from('printf'), Buffer.from('%s\\0'), ...args]), Buffer.from('\n')]);
  const r = spawnSync(shell, ['-s'], { input: cmd });
  expect(r.status).toBe(0);
  const out = r.stdout;
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < out.length; i++) {
    if (out[i] === 0) {
      parts.push(out.subarray(start, i));
      start = i + 1;
    }
  }
  return parts;
}

describe('quoteArg', () => {
  it('leaves safe words bare', () => {
    expect(quoteArg('/srv/data/a-b_c.txt').toString()).toBe('/srv/data/a-b_c.txt');
    expect(quoteArg('--config=/x').toString()).toBe('--config=/x');
  });
  it('single-quotes everything else', () => {
    expect(quoteArg('').toString()).toBe("''");
    expect(quoteArg('a b').toString()).toBe("'a b'");
    expect(quoteArg("it's").toString()).toBe(`'it'\\''s'`);
    expect(quoteArg('$x').toString()).toBe("'$x'");
  });
  it('keeps non-UTF-8 bytes exact', () => {
    const q = quoteArg(Buffer.from([0x61, 0xff]));
    expect([...q]).toEqual([0x27, 0x61, 0xff, 0x27]);
  });
});

describe('commandLine', () => {
  it('rejects an empty argv', () => {
    expect(() => commandLine([])).toThrow(/empty/);
  });
  for (const shell of ['/bin/sh', '/bin/bash']) {
    it(`round-trips hostile arguments through ${shell}`, () => {
      const back = roundTrip(shell, nasty);
      expect(back.map((b) => b.toString('hex'))).toEqual(nasty.map((b) => b.toString('hex')));
    });
  }
});

describe('script', () => {
  it('quotes arguments but not operators', () => {
    const s = script(['echo', 'a;b', op('>'), '/tmp/x y', op('2>&1'), op('&')]).toString();
    expect(s).toBe("echo 'a;b' > '/tmp/x y' 2>&1 &");
  });
});
