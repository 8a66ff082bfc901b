import type { RelPath } from '../../core/path.js';

/**
 * `struct inotify_event` (linux/inotify.h) and its mask bits, parsed without FFI.
 *
 *     struct inotify_event { int32 wd; uint32 mask; uint32 cookie; uint32 len; char name[len]; }
 *
 * `len` counts the NUL padding; the name ends at the first NUL. Integers are in host byte order.
 */

export const IN_MODIFY = 0x2;
export const IN_ATTRIB = 0x4;
export const IN_CLOSE_WRITE = 0x8;
export const IN_MOVED_FROM = 0x40;
export const IN_MOVED_TO = 0x80;
export const IN_CREATE = 0x100;
export const IN_DELETE = 0x200;
export const IN_DELETE_SELF = 0x400;
export const IN_MOVE_SELF = 0x800;
export const IN_UNMOUNT = 0x2000;
export const IN_Q_OVERFLOW = 0x4000;
export const IN_IGNORED = 0x8000;
export const IN_ONLYDIR = 0x1000000;
export const IN_DONT_FOLLOW = 0x2000000;
export const IN_EXCL_UNLINK = 0x4000000;
export const IN_MASK_ADD = 0x20000000;
export const IN_ISDIR = 0x40000000;

/** inotify_init1 flags: O_NONBLOCK and O_CLOEXEC (the generic values: x86, arm, riscv; not alpha/sparc/parisc). */
export const IN_NONBLOCK = 0o4000;
export const IN_CLOEXEC = 0o2000000;

/** What every directory watch asks for (the root omits IN_DONT_FOLLOW so a symlinked root works). */
export const DIR_WATCH_MASK =
  IN_CREATE |
  IN_MODIFY |
  IN_CLOSE_WRITE |
  IN_ATTRIB |
  IN_DELETE |
  IN_MOVED_FROM |
  IN_MOVED_TO |
  IN_DELETE_SELF |
  IN_MOVE_SELF |
  IN_DONT_FOLLOW |
  IN_EXCL_UNLINK |
  IN_ONLYDIR;

export const EVENT_HEADER_BYTES = 16;
/** sizeof(struct inotify_event) + NAME_MAX + 1: the smallest read buffer the kernel accepts for any event. */
export const MIN_READ_BYTES = EVENT_HEADER_BYTES + 255 + 1;

export interface InotifyRecord {
  /** Watch descriptor; -1 for IN_Q_OVERFLOW. */
  wd: number;
  mask: number;
  /** Pairs IN_MOVED_FROM with IN_MOVED_TO; 0 otherwise. */
  cookie: number;
  /** The entry's name as a byte string (latin1), '' when the event is about the watched directory itself. */
  name: RelPath;
}

/**
 * Parses the records in `buf[0, length)`, as returned by one `read(2)` of an inotify fd.
 * Throws on a truncated record (the kernel never returns one; a short buffer gets EINVAL).
 */
export function parseInotifyEvents(buf: Buffer, length: number = buf.length, littleEndian = true): InotifyRecord[] {
  if (length > buf.length) throw new RangeError(`length ${length} exceeds buffer size ${buf.length}`);
  const out: InotifyRecord[] = [];
  let off = 0;
  while (off < length) {
    if (length - off < EVENT_HEADER_BYTES) {
      throw new RangeError(`truncated inotify_event header at offset ${off} (${length - off} bytes left)`);
    }
    const wd = littleEndian ? buf.readInt32LE(off) : buf.readInt32BE(off);
    const mask = littleEndian ? buf.readUInt32LE(off + 4) : buf.readUInt32BE(off + 4);
    const cookie = littleEndian ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8);
    const len = littleEndian ? buf.readUInt32LE(off + 12) : buf.readUInt32BE(off + 12);
    const nameStart = off + EVENT_HEADER_BYTES;
    const nameEnd = nameStart + len;
    if (nameEnd > length) {
      throw new RangeError(`truncated inotify_event name at offset ${off} (len ${len}, ${length - nameStart} bytes left)`);
    }
    let end = buf.indexOf(0, nameStart);
    if (end < 0 || end > nameEnd) end = nameEnd;
    out.push({ wd, mask, cookie, name: buf.toString('latin1', nameStart, end) });
    off = nameEnd;
  }
  return out;
}

const MASK_NAMES: ReadonlyArray<readonly [number, string]> = [
  [IN_MODIFY, 'MODIFY'],
  [IN_ATTRIB, 'ATTRIB'],
  [IN_CLOSE_WRITE, 'CLOSE_WRITE'],
  [IN_MOVED_FROM, 'MOVED_FROM'],
  [IN_MOVED_TO, 'MOVED_TO'],
  [IN_CREATE, 'CREATE'],
  [IN_DELETE, 'DELETE'],
  [IN_DELETE_SELF, 'DELETE_SELF'],
  [IN_MOVE_SELF, 'MOVE_SELF'],
  [IN_UNMOUNT, 'UNMOUNT'],
  [IN_Q_OVERFLOW, 'Q_OVERFLOW'],
  [IN_IGNORED, 'IGNORED'],
  [IN_ISDIR, 'ISDIR'],
];

/** For logs and test failures: `CREATE|ISDIR`. */
export function maskNames(mask: number): string {
  const names = MASK_NAMES.filter(([bit]) => (mask & bit) !== 0).map(([, n]) => n);
  return names.length > 0 ? names.join('|') : `0x${mask.toString(16)}`;
}
