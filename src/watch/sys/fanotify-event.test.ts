import { describe, expect, it } from 'vitest';
import {
  FAN_CLOSE_WRITE,
  FAN_CREATE,
  FAN_EVENT_INFO_TYPE_DFID,
  FAN_EVENT_INFO_TYPE_DFID_NAME,
  FAN_EVENT_INFO_TYPE_NEW_DFID_NAME,
  FAN_EVENT_INFO_TYPE_OLD_DFID_NAME,
  FAN_MODIFY,
  FAN_ONDIR,
  FAN_Q_OVERFLOW,
  FAN_RENAME,
  METADATA_BYTES,
  parseFanotifyEvents,
} from './fanotify-event.js';

/**
 * The wire format as linux/fanotify.h lays it out, built byte by byte in either byte order:
 * struct fanotify_event_metadata (24 bytes) then info records, each aligned to 4 bytes.
 */
interface Fid {
  type: number;
  /** 8 bytes of __kernel_fsid_t. */
  fsid: Buffer;
  handleType: number;
  /** f_handle[handle_bytes]. */
  fh: Buffer;
  /** Raw name bytes, NUL-terminated on the wire; absent for a DFID record. */
  name?: Buffer | string;
}

function u16(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(v);
  else b.writeUInt16BE(v);
  return b;
}
function u32(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(v >>> 0);
  else b.writeUInt32BE(v >>> 0);
  return b;
}
function s32(v: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeInt32LE(v);
  else b.writeInt32BE(v);
  return b;
}
function u64(v: bigint, le: boolean): Buffer {
  const b = Buffer.alloc(8);
  if (le) b.writeBigUInt64LE(v);
  else b.writeBigUInt64BE(v);
  return b;
}

/** struct fanotify_event_info_fid: {info_type u8, pad u8, len u16}, fsid, struct file_handle, name\0, padded to 4. */
function fidInfo(f: Fid, le: boolean): Buffer {
  const name = f.name === undefined ? Buffer.alloc(0) : Buffer.concat([typeof f.name === 'string' ? Buffer.from(f.name, 'latin1') : f.name, Buffer.from([0])]);
  const body = Buffer.concat([f.fsid, u32(f.fh.length, le), s32(f.handleType, le), f.fh, name]);
  const len = Math.ceil((4 + body.length) / 4) * 4;
  return Buffer.concat([Buffer.from([f.type, 0]), u16(len, le), body, Buffer.alloc(len - 4 - body.length)]);
}

/** struct fanotify_event_metadata followed by its info records. */
function event(o: { mask: bigint; pid: number; fd?: number; infos?: Fid[]; vers?: number; eventLen?: number }, le: boolean): Buffer {
  const infos = Buffer.concat((o.infos ?? []).map((f) => fidInfo(f, le)));
  const len = o.eventLen ?? METADATA_BYTES + infos.length;
  const meta = Buffer.concat([u32(len, le), Buffer.from([o.vers ?? 3, 0]), u16(METADATA_BYTES, le), u64(o.mask, le), s32(o.fd ?? -2 /* FAN_NOFD */, le), s32(o.pid, le)]);
  expect(meta).toHaveLength(METADATA_BYTES);
  return Buffer.concat([meta, infos]);
}

const fsidA = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
const fsidB = Buffer.from([8, 7, 6, 5, 4, 3, 2, 1]);
const fh1 = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01, 0x00, 0x00, 0x00]);
const fh2 = Buffer.from([0x0c, 0x00, 0x00, 0x00, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22]);
const FILEID_INO32_GEN = 1;

/** The struct file_handle the parser must hand to open_by_handle_at, in the host's byte order. */
const fileHandle = (fh: Buffer, type: number, le: boolean) => Buffer.concat([u32(fh.length, le), s32(type, le), fh]);

describe.each([
  ['little-endian', true],
  ['big-endian', false],
])('parseFanotifyEvents (%s)', (_order, le) => {
  it('parses a DFID_NAME record: mask, pid, the directory handle and the entry name', () => {
    const buf = event({ mask: BigInt(FAN_CREATE), pid: 4242, infos: [{ type: FAN_EVENT_INFO_TYPE_DFID_NAME, fsid: fsidA, handleType: FILEID_INO32_GEN, fh: fh1, name: 'a.txt' }] }, le);
    const [r, ...rest] = parseFanotifyEvents(buf, buf.length, le);
    expect(rest).toEqual([]);
    expect(r?.mask).toBe(FAN_CREATE);
    expect(r?.pid).toBe(4242);
    expect(r?.entry?.name).toBe('a.txt');
    expect(r?.entry?.dir.handle).toEqual(fileHandle(fh1, FILEID_INO32_GEN, le));
    expect(r?.from).toBeUndefined();
    expect(r?.to).toBeUndefined();
  });

  it('gives equal keys to the same directory and different keys to another fsid, handle type or handle', () => {
    const rec = (fsid: Buffer, type: number, fh: Buffer, name: string) => event({ mask: BigInt(FAN_MODIFY), pid: 1, infos: [{ type: FAN_EVENT_INFO_TYPE_DFID_NAME, fsid, handleType: type, fh, name }] }, le);
    const buf = Buffer.concat([rec(fsidA, 1, fh1, 'x'), rec(fsidA, 1, fh1, 'other'), rec(fsidB, 1, fh1, 'x'), rec(fsidA, 2, fh1, 'x'), rec(fsidA, 1, fh2, 'x')]);
    const keys = parseFanotifyEvents(buf, buf.length, le).map((r) => r.entry?.dir.key);
    expect(keys).toHaveLength(5);
    expect(keys[1]).toBe(keys[0]);
    expect(new Set([keys[0], keys[2], keys[3], keys[4]]).size).toBe(4);
  });

  it('parses FAN_RENAME with OLD_DFID_NAME (10) as from and NEW_DFID_NAME (12) as to', () => {
    const buf = event(
      {
        mask: BigInt(FAN_RENAME | FAN_ONDIR),
        pid: 7,
        infos: [
          { type: FAN_EVENT_INFO_TYPE_OLD_DFID_NAME, fsid: fsidA, handleType: 1, fh: fh1, name: 'old' },
          { type: FAN_EVENT_INFO_TYPE_NEW_DFID_NAME, fsid: fsidA, handleType: 1, fh: fh2, name: 'new-name' },
        ],
      },
      le,
    );
    const [r] = parseFanotifyEvents(buf, buf.length, le);
    expect(r?.mask).toBe(FAN_RENAME | FAN_ONDIR);
    expect(r?.entry).toBeUndefined();
    expect(r?.from?.name).toBe('old');
    expect(r?.from?.dir.handle).toEqual(fileHandle(fh1, 1, le));
    expect(r?.to?.name).toBe('new-name');
    expect(r?.to?.dir.handle).toEqual(fileHandle(fh2, 1, le));
    expect(r?.from?.dir.key).not.toBe(r?.to?.dir.key);
  });

  it('parses a Q_OVERFLOW with no info record', () => {
    const buf = event({ mask: BigInt(FAN_Q_OVERFLOW), pid: 0, fd: -1 }, le);
    expect(buf).toHaveLength(METADATA_BYTES);
    expect(parseFanotifyEvents(buf, buf.length, le)).toEqual([{ mask: FAN_Q_OVERFLOW, pid: 0 }]);
  });

  it('parses several events in one buffer, in order, and only the first n bytes of a larger read buffer', () => {
    const one = (mask: number, pid: number, name: string) => event({ mask: BigInt(mask), pid, infos: [{ type: FAN_EVENT_INFO_TYPE_DFID_NAME, fsid: fsidA, handleType: 1, fh: fh2, name }] }, le);
    const bytes = Buffer.concat([one(FAN_CREATE, 10, 'a'), event({ mask: BigInt(FAN_Q_OVERFLOW), pid: 0 }, le), one(FAN_MODIFY | FAN_CLOSE_WRITE, 11, 'bb'), one(FAN_CREATE | FAN_ONDIR, 12, 'ccc')]);
    const buf = Buffer.alloc(8192, 0xaa);
    bytes.copy(buf);
    const rs = parseFanotifyEvents(buf, bytes.length, le);
    expect(rs.map((r) => [r.mask, r.pid, r.entry?.name])).toEqual([
      [FAN_CREATE, 10, 'a'],
      [FAN_Q_OVERFLOW, 0, undefined],
      [FAN_MODIFY | FAN_CLOSE_WRITE, 11, 'bb'],
      [FAN_CREATE | FAN_ONDIR, 12, 'ccc'],
    ]);
  });

  it('keeps a non-UTF-8 name byte-exact (latin1 byte string), control bytes included', () => {
    const raw = Buffer.from([0x66, 0xff, 0x0a, 0x09, 0x2d, 0xc3, 0xa9, 0x80]);
    const buf = event({ mask: BigInt(FAN_CREATE), pid: 1, infos: [{ type: FAN_EVENT_INFO_TYPE_DFID_NAME, fsid: fsidA, handleType: 1, fh: fh1, name: raw }] }, le);
    const [r] = parseFanotifyEvents(buf, buf.length, le);
    expect(Buffer.from(r?.entry?.name ?? '', 'latin1')).toEqual(raw);
  });

  it("gives '.' for an event on the directory itself and '' for a DFID record (no name)", () => {
    const buf = Buffer.concat([
      event({ mask: BigInt(FAN_ONDIR | 0x4), pid: 1, infos: [{ type: FAN_EVENT_INFO_TYPE_DFID_NAME, fsid: fsidA, handleType: 1, fh: fh1, name: '.' }] }, le),
      event({ mask: BigInt(FAN_ONDIR | 0x4), pid: 1, infos: [{ type: FAN_EVENT_INFO_TYPE_DFID, fsid: fsidA, handleType: 1, fh: fh1 }] }, le),
    ]);
    const [a, b] = parseFanotifyEvents(buf, buf.length, le);
    expect(a?.entry?.name).toBe('.');
    expect(b?.entry?.name).toBe('');
    expect(b?.entry?.dir.key).toBe(a?.entry?.dir.key);
  });

  it('reads the low 32 bits of the 64-bit mask', () => {
    const buf = event({ mask: (0x5n << 32n) | BigInt(FAN_CREATE | FAN_ONDIR), pid: 1 }, le);
    expect(parseFanotifyEvents(buf, buf.length, le)[0]?.mask).toBe(FAN_CREATE | FAN_ONDIR);
  });

  it('skips info record types it does not use (FID = 1) by their length', () => {
    const buf = event(
      {
        mask: BigInt(FAN_CREATE),
        pid: 3,
        infos: [
          { type: 1, fsid: fsidB, handleType: 1, fh: fh2 },
          { type: FAN_EVENT_INFO_TYPE_DFID_NAME, fsid: fsidA, handleType: 1, fh: fh1, name: 'kept' },
        ],
      },
      le,
    );
    const [r] = parseFanotifyEvents(buf, buf.length, le);
    expect(r?.entry?.name).toBe('kept');
    expect(r?.entry?.dir.handle).toEqual(fileHandle(fh1, 1, le));
  });

  it('rejects a wrong metadata version', () => {
    const buf = event({ mask: BigInt(FAN_CREATE), pid: 1, vers: 2 }, le);
    expect(() => parseFanotifyEvents(buf, buf.length, le)).toThrow(/metadata version 2, expected 3/);
  });

  it('rejects an event length below the metadata size or beyond the bytes read', () => {
    const short = event({ mask: BigInt(FAN_CREATE), pid: 1, eventLen: 16 }, le);
    expect(() => parseFanotifyEvents(short, short.length, le)).toThrow(/bad event length 16 at offset 0/);
    const good = event({ mask: BigInt(FAN_CREATE), pid: 1, infos: [{ type: FAN_EVENT_INFO_TYPE_DFID_NAME, fsid: fsidA, handleType: 1, fh: fh1, name: 'n' }] }, le);
    const both = Buffer.concat([good, good]);
    expect(() => parseFanotifyEvents(both, both.length - 4, le)).toThrow(new RegExp(`bad event length ${good.length} at offset ${good.length}`));
    const zero = event({ mask: 0n, pid: 1, eventLen: 0 }, le);
    expect(() => parseFanotifyEvents(zero, zero.length, le)).toThrow(/bad event length 0/);
  });

  it('rejects an info record whose length runs past its event or is below its header', () => {
    const buf = event({ mask: BigInt(FAN_CREATE), pid: 1, infos: [{ type: FAN_EVENT_INFO_TYPE_DFID_NAME, fsid: fsidA, handleType: 1, fh: fh1, name: 'abc' }] }, le);
    const long = Buffer.from(buf);
    u16(buf.length - METADATA_BYTES + 4, le).copy(long, METADATA_BYTES + 2);
    expect(() => parseFanotifyEvents(long, long.length, le)).toThrow(/bad info record length/);
    const tiny = Buffer.from(buf);
    u16(2, le).copy(tiny, METADATA_BYTES + 2);
    expect(() => parseFanotifyEvents(tiny, tiny.length, le)).toThrow(/bad info record length 2/);
  });
});
