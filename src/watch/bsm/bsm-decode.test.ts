import { describe, expect, it } from 'vitest';
import * as enc from '../../../test/support/bsm-encode.js';
import { decodeBsm } from './bsm-decode.js';
import type { BsmRecord } from './bsm-tokens.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/**
 * open("/w/a", O_WRONLY|O_CREAT) = 3 by pid 4242, written out by hand from the layouts in
 * bsm_token.c (au_to_header32_tm, au_to_path, au_to_subject32, au_to_return32, au_to_trailer).
 */
const OPEN_WC_HEX = `
  14 0000004c 0b 004d 0000 6553f100 0000007b
  23 0005 2f772f6100
  24 000003e9 000003ea 00000014 000003ea 00000014 00001092 00000007 00000000 0a000001
  27 00 00000003
  13 b105 0000004c`;

function only(buf: Buffer): BsmRecord {
  const r = decodeBsm(buf);
  expect(r.errors).toEqual([]);
  expect(r.items).toHaveLength(1);
  const rec = r.items[0];
  if (rec?.type !== 'record') throw new Error('not a record');
  return rec;
}

describe('decodeBsm: bytes written by hand from bsm_token.c', () => {
  it('reads header32, path, subject32, return32 and trailer', () => {
    const rec = only(hex(OPEN_WC_HEX));
    expect(rec).toMatchObject({ offset: 0, size: 76, event: 77, modifier: 0, version: 11, time: 1_700_000_000_123, paths: ['/w/a'], ret: { error: 0, value: 3 } });
    expect(rec.subject).toEqual({ auid: 1001, euid: 1002, egid: 20, ruid: 1002, rgid: 20, pid: 4242, sid: 7, port: 0, addr: '10.0.0.1' });
    expect(rec.tokens.map((t) => t.kind)).toEqual(['header', 'path', 'subject', 'return', 'trailer']);
  });

  it('reads attr32 and arg32 as laid out by au_to_attr32 / au_to_arg32', () => {
    const body = `
      2d 02 00000601 0006 666c61677300
      3e 0000 01a4 000003e9 00000014 12345678 0000000000000abc ffffffff`;
    const size = 18 + hex(body).length + 7;
    const h = size.toString(16).padStart(8, '0');
    const rec = only(hex(`14 ${h} 0b 004d 0000 6553f100 00000000 ${body} 13 b105 ${h}`));
    expect(rec.args).toEqual([{ n: 2, value: 0x601, text: 'flags' }]);
    expect(rec.attrs).toEqual([{ mode: 0o644, uid: 1001, gid: 20, fsid: 0x12345678, nodeid: 0xabcn, dev: 0xffffffffn }]);
  });

  it('reads a rename with its two paths in order', () => {
    const body = '23 0004 2f61 6200 23 0004 2f63 6400 27 00 00000000';
    const size = 18 + hex(body).length + 7;
    const h = size.toString(16).padStart(8, '0');
    expect(only(hex(`14 ${h} 0b 002a 0000 00000001 00000002 ${body} 13 b105 ${h}`)).paths).toEqual(['/ab', '/cd']);
  });

  it('the test encoder writes exactly these bytes (so it cannot share a decoder mistake)', () => {
    const s = { auid: 1001, euid: 1002, egid: 20, ruid: 1002, rgid: 20, pid: 4242, sid: 7, port: 0, addr: '10.0.0.1' };
    expect(enc.bsmRecord(77, [enc.path('/w/a'), enc.subject32(s), enc.return32(0, 3)]).toString('hex')).toBe(hex(OPEN_WC_HEX).toString('hex'));
    expect(enc.attr32({ mode: 0o644, uid: 1001, gid: 20, fsid: 0x12345678, nodeid: 0xabcn, dev: 0xffffffffn }).toString('hex')).toBe(
      hex('3e 0000 01a4 000003e9 00000014 12345678 0000000000000abc ffffffff').toString('hex'),
    );
    expect(enc.arg32(2, 'flags', 0x601).toString('hex')).toBe(hex('2d 02 00000601 0006 666c61677300').toString('hex'));
    expect(enc.trailer(76).toString('hex')).toBe('13b1050000004c');
  });
});

describe('decodeBsm: every token form', () => {
  const subj = enc.subjectOf(99, 1001, { port: 5, addr: '192.168.1.2' });
  const attr = { mode: 0o755, uid: 0, gid: 0, fsid: 7, nodeid: 2n ** 40n, dev: 2n ** 33n };

  it.each(['header32', 'header32_ex', 'header64', 'header64_ex'] as const)('%s: event, modifier and time', (form) => {
    const rec = only(enc.bsmRecord(43148, [enc.return32(0, 0)], { form, time: 1_234_567_890_999, modifier: 0x4000, addr: form.endsWith('_ex') ? '10.1.2.3' : undefined }));
    expect(rec).toMatchObject({ event: 43148, modifier: 0x4000, time: 1_234_567_890_999 });
    if (form.endsWith('_ex')) expect(rec.tokens[0]).toMatchObject({ kind: 'header', addr: '10.1.2.3' });
  });

  it('header32_ex with an IPv6 machine address', () => {
    const rec = only(enc.bsmRecord(6, [], { form: 'header32_ex', addr: '2001:db8:0:0:0:0:0:1' }));
    expect(rec.tokens[0]).toMatchObject({ kind: 'header', addr: '2001:db8:0:0:0:0:0:1' });
  });

  it.each([
    ['subject32', enc.subject32(subj), 'subject'],
    ['subject64', enc.subject64(subj), 'subject'],
    ['subject32_ex', enc.subject32ex(subj), 'subject'],
    ['subject64_ex', enc.subject64ex(subj), 'subject'],
    ['process32', enc.process32(subj), 'process'],
    ['process64', enc.process64(subj), 'process'],
    ['process32_ex', enc.process32ex(subj), 'process'],
    ['process64_ex', enc.process64ex(subj), 'process'],
  ] as const)('%s', (_name, token, kind) => {
    const rec = only(enc.bsmRecord(6, [token]));
    expect(rec.tokens[1]).toEqual(expect.objectContaining({ kind, subject: subj }));
    expect(rec.subject).toEqual(kind === 'subject' ? subj : undefined);
  });

  it('subject32_ex with an IPv6 terminal address', () => {
    const s6 = { ...subj, addr: 'fe80:0:0:0:0:0:0:2' };
    expect(only(enc.bsmRecord(6, [enc.subject32ex(s6)])).subject).toEqual(s6);
  });

  it('attr32 and attr64', () => {
    const rec = only(enc.bsmRecord(6, [enc.attr32({ ...attr, dev: 12n }), enc.attr64(attr)]));
    expect(rec.attrs).toEqual([{ ...attr, dev: 12n }, attr]);
  });

  it('return32 and return64, negative values kept signed', () => {
    expect(only(enc.bsmRecord(6, [enc.return32(2, -1)])).ret).toEqual({ error: 2, value: -1 });
    expect(only(enc.bsmRecord(6, [enc.return64(0, 5n)])).ret).toEqual({ error: 0, value: 5 });
    expect(only(enc.bsmRecord(6, [enc.return64(13, -1n)])).ret).toEqual({ error: 13, value: -1 });
  });

  it('arg32 and arg64', () => {
    expect(only(enc.bsmRecord(6, [enc.arg32(1, 'fd', 7), enc.arg64(3, 'mode', 2n ** 40n)])).args).toEqual([
      { n: 1, value: 7, text: 'fd' },
      { n: 3, value: 2 ** 40, text: 'mode' },
    ]);
  });

  it('text, exec args and exec env', () => {
    const rec = only(enc.bsmRecord(23, [enc.text('target'), enc.execArgs(['cp', '-p', 'a b']), enc.execEnv(['HOME=/root', 'X='])]));
    expect(rec.texts).toEqual(['target']);
    expect(rec.tokens.slice(2, 4)).toEqual([
      { kind: 'exec-args', strings: ['cp', '-p', 'a b'] },
      { kind: 'exec-env', strings: ['HOME=/root', 'X='] },
    ]);
  });

  it('exit, and tokens it only skips (seq)', () => {
    const rec = only(enc.bsmRecord(1, [enc.exit(0, 3), enc.seq(42)]));
    expect(rec.tokens.slice(1, 3)).toEqual([
      { kind: 'exit', status: 0, value: 3 },
      { kind: 'skipped', id: 0x2f, name: 'seq', bytes: 5 },
    ]);
  });

  it('keeps a path byte-exact when it is not UTF-8', () => {
    const raw = Buffer.from([0x2f, 0x77, 0x2f, 0xe9, 0xff]);
    expect(only(enc.bsmRecord(6, [enc.path(raw)])).paths).toEqual([raw.toString('latin1')]);
  });

  it('file tokens at the start and end of a trail are items of their own', () => {
    const trail = Buffer.concat([enc.file('20240101000000.not_terminated', 1_000_000_000_500), enc.syscall(6, 1, [enc.path('/x')]), enc.file('', 1_000_000_001_000)]);
    const r = decodeBsm(trail);
    expect(r.errors).toEqual([]);
    expect(r.items.map((i) => i.type)).toEqual(['file', 'record', 'file']);
    expect(r.items[0]).toMatchObject({ type: 'file', offset: 0, time: 1_000_000_000_500, name: '20240101000000.not_terminated' });
  });
});

describe('decodeBsm: damage', () => {
  const good = enc.syscall(6, 1, [enc.path('/a')]);
  const unknown = enc.bsmRecord(6, [enc.path('/b'), Buffer.from([0x99, 1, 2, 3])]);

  it('an unknown token id: one error naming its offset and id, and the next record is read through the header length', () => {
    const r = decodeBsm(Buffer.concat([good, unknown, good]), { baseOffset: 1000 });
    const at = 1000 + good.length + 18 + enc.path('/b').length;
    expect(r.errors).toEqual([{ offset: at, id: 0x99, message: `unknown token id 0x99 at offset ${at}` }]);
    expect(r.items.map((i) => i.offset)).toEqual([1000, 1000 + good.length + unknown.length]);
  });

  it('a token running past its record', () => {
    const bad = Buffer.from(good);
    bad.writeUInt16BE(200, 19); // the path's length
    const r = decodeBsm(Buffer.concat([bad, good]));
    expect(r.errors).toEqual([{ offset: 18, id: 0x23, message: 'token 0x23 at offset 18 runs past the end of its record' }]);
    expect(r.items).toHaveLength(1);
  });

  it('a trailer that disagrees with the header', () => {
    const bad = Buffer.from(good);
    bad.writeUInt32BE(999, bad.length - 4);
    const r = decodeBsm(bad);
    expect(r.errors[0]?.message).toMatch(/^trailer at offset \d+ says 999 bytes, the header \d+$/);
    expect(r.items).toEqual([]);
  });

  it('garbage between records: reported once, decoding resumes at the next whole record', () => {
    const r = decodeBsm(Buffer.concat([good, Buffer.from('junk\x14\x00'), good]));
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ offset: good.length, id: 0x6a });
    expect(r.errors[0]?.message).toContain(`resuming at offset ${good.length + 6}`);
    expect(r.items.map((i) => i.offset)).toEqual([0, good.length + 6]);
  });

  it('a record cut off at the end: `rest` for a live stream, an error for a file', () => {
    const cut = Buffer.concat([good, good.subarray(0, 10)]);
    expect(decodeBsm(cut, { final: false })).toMatchObject({ errors: [], rest: good.length });
    const r = decodeBsm(cut);
    expect(r.errors).toEqual([{ offset: good.length, id: 0x14, message: `record at offset ${good.length} claims ${good.length} bytes but only 10 are left` }]);
    expect(decodeBsm(good.subarray(0, 3), { final: false }).rest).toBe(0);
  });
});
