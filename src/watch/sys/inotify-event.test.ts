import { describe, expect, it } from 'vitest';
import {
  EVENT_HEADER_BYTES,
  IN_CREATE,
  IN_ISDIR,
  IN_MOVED_FROM,
  IN_Q_OVERFLOW,
  maskNames,
  parseInotifyEvents,
} from './inotify-event.js';

/** Builds one struct inotify_event as the kernel lays it out (name NUL-padded to `padTo`). */
function record(wd: number, mask: number, cookie: number, name: Buffer | string, padTo = 16, le = true): Buffer {
  const bytes = typeof name === 'string' ? Buffer.from(name, 'latin1') : name;
  const len = bytes.length === 0 ? 0 : Math.ceil((bytes.length + 1) / padTo) * padTo;
  const buf = Buffer.alloc(EVENT_HEADER_BYTES + len);
  if (le) {
    buf.writeInt32LE(wd, 0);
    buf.writeUInt32LE(mask >>> 0, 4);
    buf.writeUInt32LE(cookie, 8);
    buf.writeUInt32LE(len, 12);
  } else {
    buf.writeInt32BE(wd, 0);
    buf.writeUInt32BE(mask >>> 0, 4);
    buf.writeUInt32BE(cookie, 8);
    buf.writeUInt32BE(len, 12);
  }
  bytes.copy(buf, EVENT_HEADER_BYTES);
  return buf;
}

describe('parseInotifyEvents', () => {
  it('parses consecutive records with NUL-padded names', () => {
    const buf = Buffer.concat([record(1, IN_CREATE, 0, 'a.txt'), record(2, IN_CREATE | IN_ISDIR, 0, 'dir'), record(3, IN_MOVED_FROM, 77, 'x')]);
    expect(parseInotifyEvents(buf)).toEqual([
      { wd: 1, mask: IN_CREATE, cookie: 0, name: 'a.txt' },
      { wd: 2, mask: IN_CREATE | IN_ISDIR, cookie: 0, name: 'dir' },
      { wd: 3, mask: IN_MOVED_FROM, cookie: 77, name: 'x' },
    ]);
  });

  it('gives an empty name for events about the watched directory itself, and wd -1 for overflow', () => {
    const buf = Buffer.concat([record(-1, IN_Q_OVERFLOW, 0, ''), record(5, 0x400, 0, '')]);
    expect(parseInotifyEvents(buf)).toEqual([
      { wd: -1, mask: IN_Q_OVERFLOW, cookie: 0, name: '' },
      { wd: 5, mask: 0x400, cookie: 0, name: '' },
    ]);
  });

  it('keeps non-UTF-8 and control bytes byte-exact (latin1 byte strings)', () => {
    const raw = Buffer.from([0x66, 0xff, 0x0a, 0x09, 0x2d, 0xc3, 0xa9]);
    const [r] = parseInotifyEvents(record(1, IN_CREATE, 0, raw));
    expect(r).toBeDefined();
    expect(Buffer.from(r?.name ?? '', 'latin1')).toEqual(raw);
  });

  it('handles a 255-byte name (NAME_MAX) and the high mask bit', () => {
    const name = 'n'.repeat(255);
    const [r] = parseInotifyEvents(record(9, 0x80000000 | IN_CREATE, 0, name));
    expect(r?.name).toBe(name);
    expect(r?.mask).toBe((0x80000000 | IN_CREATE) >>> 0);
  });

  it('parses only the first `length` bytes of a larger read buffer', () => {
    const one = record(1, IN_CREATE, 0, 'f');
    const buf = Buffer.alloc(4096, 0xaa);
    one.copy(buf);
    expect(parseInotifyEvents(buf, one.length)).toHaveLength(1);
  });

  it('reads big-endian hosts when told', () => {
    expect(parseInotifyEvents(record(7, IN_CREATE, 3, 'b', 16, false), undefined, false)).toEqual([
      { wd: 7, mask: IN_CREATE, cookie: 3, name: 'b' },
    ]);
  });

  it('rejects truncated records', () => {
    const one = record(1, IN_CREATE, 0, 'abc');
    expect(() => parseInotifyEvents(one.subarray(0, 10))).toThrow(/truncated inotify_event header/);
    expect(() => parseInotifyEvents(one.subarray(0, one.length - 1))).toThrow(/truncated inotify_event name/);
  });

  it('names mask bits for messages', () => {
    expect(maskNames(IN_CREATE | IN_ISDIR)).toBe('CREATE|ISDIR');
    expect(maskNames(0)).toBe('0x0');
  });
});
