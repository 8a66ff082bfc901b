import {
  AU_IPV4,
  AU_IPV6,
  AUT,
  TRAILER_MAGIC,
  type BsmAttr,
  type BsmItem,
  type BsmRecord,
  type BsmSubject,
  type BsmToken,
} from './bsm-tokens.js';

/**
 * Decodes a BSM byte stream (an auditd trail in /var/audit, or what /dev/auditpipe returns) into
 * records. Pure: bytes in, records and errors out.
 *
 * Contract: the input is a sequence of records (header … trailer) and file tokens. A record whose
 * tokens cannot all be read — an unknown token id, a field past the record's end, a bad trailer —
 * is reported as one error naming the byte offset of the failing token and its id, and is not
 * returned; decoding goes on with the next record, found through the header's record length. A
 * byte that starts neither a header nor a file token where one must be is reported, and decoding
 * resumes at the next offset where a whole, consistent record (header length matching the
 * trailer's) begins. With `final: false` (a live stream), a record cut off at the end of `buf` is
 * not an error: `rest` says where it starts, for the caller to keep and complete with the next read.
 */
export interface DecodeResult {
  items: BsmItem[];
  errors: BsmDecodeError[];
  /** Offset (relative to `buf`) of an incomplete record at the end; `buf.length` when none. */
  rest: number;
}

export interface BsmDecodeError {
  /** Offset of the failing token (or record) in the input, `baseOffset` included. */
  offset: number;
  /** The token id found there, when the error is about a token. */
  id?: number;
  message: string;
}

export interface DecodeOptions {
  /** Added to every reported offset (the position of `buf` in a longer stream). */
  baseOffset?: number;
  /** True when no more bytes follow (a file): a cut-off record at the end is an error. Default true. */
  final?: boolean;
}

const HEADERS: ReadonlySet<number> = new Set([AUT.HEADER32, AUT.HEADER32_EX, AUT.HEADER64, AUT.HEADER64_EX]);
/** Smallest possible record: header32 (18 bytes) and trailer (7). */
const MIN_RECORD = 25;
const TRAILER_BYTES = 7;

export function decodeBsm(buf: Uint8Array, opts: DecodeOptions = {}): DecodeResult {
  const base = opts.baseOffset ?? 0;
  const final = opts.final ?? true;
  const items: BsmItem[] = [];
  const errors: BsmDecodeError[] = [];
  let o = 0;
  while (o < buf.length) {
    const id = buf[o] as number;
    if (id === AUT.OTHER_FILE32) {
      const r = new Reader(buf, o + 1, buf.length, base);
      try {
        const s = r.u32();
        const ms = r.u32();
        const name = r.cstr(r.u16());
        items.push({ type: 'file', offset: base + o, time: s * 1000 + ms, name });
        o = r.pos;
        continue;
      } catch (e) {
        if (!(e instanceof Short)) throw e;
        if (!final) return { items, errors, rest: o };
        errors.push({ offset: base + o, id, message: `file token at offset ${base + o} is cut off at the end of the input` });
        return { items, errors, rest: buf.length };
      }
    }
    if (!HEADERS.has(id)) {
      const next = findRecord(buf, o + 1);
      errors.push({
        offset: base + o,
        id,
        message: `expected a header or file token at offset ${base + o}, found id 0x${hex(id)}; ${next < buf.length ? `resuming at offset ${base + next}` : 'no record follows'}`,
      });
      o = next;
      continue;
    }
    if (o + 5 > buf.length) {
      if (!final) return { items, errors, rest: o };
      errors.push({ offset: base + o, id, message: `record at offset ${base + o} is cut off at the end of the input` });
      return { items, errors, rest: buf.length };
    }
    const size = readU32(buf, o + 1);
    if (size < MIN_RECORD) {
      const next = findRecord(buf, o + 1);
      errors.push({ offset: base + o, id, message: `record at offset ${base + o} claims ${size} bytes, less than any record` });
      o = next;
      continue;
    }
    if (o + size > buf.length) {
      if (!final) return { items, errors, rest: o };
      errors.push({ offset: base + o, id, message: `record at offset ${base + o} claims ${size} bytes but only ${buf.length - o} are left` });
      return { items, errors, rest: buf.length };
    }
    try {
      items.push(decodeRecord(buf, o, size, base));
    } catch (e) {
      if (!(e instanceof TokenError)) throw e;
      errors.push({ offset: e.offset, ...(e.id !== undefined ? { id: e.id } : {}), message: e.message });
    }
    o += size;
  }
  return { items, errors, rest: buf.length };
}

/** The next offset at or after `from` where a consistent record starts (header size = trailer count), or buf.length. */
export function findRecord(buf: Uint8Array, from: number): number {
  for (let k = from; k + MIN_RECORD <= buf.length; k++) {
    if (!HEADERS.has(buf[k] as number)) continue;
    const size = readU32(buf, k + 1);
    if (size < MIN_RECORD || k + size > buf.length) continue;
    const t = k + size - TRAILER_BYTES;
    if (buf[t] === AUT.TRAILER && readU16(buf, t + 1) === TRAILER_MAGIC && readU32(buf, t + 3) === size) return k;
  }
  return buf.length;
}

function decodeRecord(buf: Uint8Array, start: number, size: number, base: number): BsmRecord {
  const end = start + size;
  const r = new Reader(buf, start, end, base);
  const header = readToken(r);
  if (header.kind !== 'header') throw new TokenError(base + start, buf[start], 'record does not start with a header');
  const rec: BsmRecord = {
    type: 'record',
    offset: base + start,
    size,
    event: header.event,
    modifier: header.modifier,
    version: header.version,
    time: header.time,
    tokens: [header],
    subject: undefined,
    paths: [],
    attrs: [],
    args: [],
    ret: undefined,
    texts: [],
  };
  for (;;) {
    if (r.pos >= end) throw new TokenError(base + r.pos, undefined, `record at offset ${base + start} has no trailer`);
    const t = readToken(r);
    rec.tokens.push(t);
    switch (t.kind) {
      case 'trailer':
        if (t.magic !== TRAILER_MAGIC) throw new TokenError(base + r.pos - TRAILER_BYTES, AUT.TRAILER, `trailer at offset ${base + r.pos - TRAILER_BYTES} has magic 0x${t.magic.toString(16)}, not 0xb105`);
        if (t.size !== size || r.pos !== end)
          throw new TokenError(base + r.pos - TRAILER_BYTES, AUT.TRAILER, `trailer at offset ${base + r.pos - TRAILER_BYTES} says ${t.size} bytes, the header ${size}`);
        return rec;
      case 'header':
        throw new TokenError(base + r.pos, t.id, `a second header inside the record at offset ${base + start}`);
      case 'subject':
        rec.subject ??= t.subject;
        break;
      case 'path':
        rec.paths.push(t.path);
        break;
      case 'attr':
        rec.attrs.push(t.attr);
        break;
      case 'arg':
        rec.args.push({ n: t.n, value: t.value, text: t.text });
        break;
      case 'return':
        rec.ret = { error: t.error, value: t.value };
        break;
      case 'text':
        rec.texts.push(t.text);
        break;
      default:
        break;
    }
  }
}

/** Reads one token at r.pos (the id byte), leaving r.pos after it. */
function readToken(r: Reader): BsmToken {
  const at = r.pos;
  const id = r.u8();
  try {
    return readBody(r, id);
  } catch (e) {
    if (e instanceof Short) throw new TokenError(r.base + at, id, `token 0x${hex(id)} at offset ${r.base + at} runs past the end of its record`);
    if (e instanceof Unknown) throw new TokenError(r.base + at, id, `unknown token id 0x${hex(id)} at offset ${r.base + at}${e.detail}`);
    throw e;
  }
}

function readBody(r: Reader, id: number): BsmToken {
  switch (id) {
    case AUT.HEADER32:
    case AUT.HEADER32_EX:
    case AUT.HEADER64:
    case AUT.HEADER64_EX: {
      const size = r.u32();
      const version = r.u8();
      const event = r.u16();
      const modifier = r.u16();
      const ex = id === AUT.HEADER32_EX || id === AUT.HEADER64_EX;
      const addr = ex ? r.address(r.u32()) : undefined;
      const wide = id === AUT.HEADER64 || id === AUT.HEADER64_EX;
      const s = wide ? r.u64n() : r.u32();
      const ms = wide ? r.u64n() : r.u32();
      return { kind: 'header', id, size, version, event, modifier, time: s * 1000 + ms, ...(addr !== undefined ? { addr } : {}) };
    }
    case AUT.TRAILER:
      return { kind: 'trailer', magic: r.u16(), size: r.u32() };
    case AUT.PATH:
      return { kind: 'path', path: r.cstr(r.u16()) };
    case AUT.TEXT:
      return { kind: 'text', text: r.cstr(r.u16()) };
    case AUT.ATTR32:
    case AUT.ATTR64: {
      const attr: BsmAttr = { mode: r.u32(), uid: r.u32(), gid: r.u32(), fsid: r.u32(), nodeid: r.u64(), dev: id === AUT.ATTR64 ? r.u64() : BigInt(r.u32()) };
      return { kind: 'attr', id, attr };
    }
    case AUT.SUBJECT32:
    case AUT.SUBJECT64:
    case AUT.SUBJECT32_EX:
    case AUT.SUBJECT64_EX:
      return { kind: 'subject', id, subject: readSubject(r, id === AUT.SUBJECT64 || id === AUT.SUBJECT64_EX, id === AUT.SUBJECT32_EX || id === AUT.SUBJECT64_EX) };
    case AUT.PROCESS32:
    case AUT.PROCESS64:
    case AUT.PROCESS32_EX:
    case AUT.PROCESS64_EX:
      return { kind: 'process', id, subject: readSubject(r, id === AUT.PROCESS64 || id === AUT.PROCESS64_EX, id === AUT.PROCESS32_EX || id === AUT.PROCESS64_EX) };
    case AUT.RETURN32:
      return { kind: 'return', id, error: r.u8(), value: r.i32() };
    case AUT.RETURN64:
      return { kind: 'return', id, error: r.u8(), value: Number(BigInt.asIntN(64, r.u64())) };
    case AUT.ARG32:
    case AUT.ARG64: {
      const n = r.u8();
      const value = id === AUT.ARG64 ? r.u64n() : r.u32();
      return { kind: 'arg', id, n, value, text: r.cstr(r.u16()) };
    }
    case AUT.EXEC_ARGS:
    case AUT.EXEC_ENV: {
      const count = r.u32();
      const strings: string[] = [];
      for (let i = 0; i < count; i++) strings.push(r.zstr());
      return { kind: id === AUT.EXEC_ARGS ? 'exec-args' : 'exec-env', strings };
    }
    case AUT.EXIT:
      return { kind: 'exit', status: r.u32(), value: r.i32() };
    case AUT.OTHER_FILE32: {
      const s = r.u32();
      const ms = r.u32();
      return { kind: 'file', time: s * 1000 + ms, name: r.cstr(r.u16()) };
    }
    default:
      return skip(r, id);
  }
}

/** Tokens whose layout is known (bsm_io.c) and whose content livemirror does not use. */
function skip(r: Reader, id: number): BsmToken {
  const start = r.pos;
  const name = SKIPPED[id];
  if (name === undefined) throw new Unknown('');
  switch (id) {
    case AUT.SEQ:
    case AUT.IN_ADDR:
      r.skip(4);
      break;
    case AUT.IPORT:
      r.skip(2);
      break;
    case AUT.IPC:
      r.skip(5);
      break;
    case AUT.IP:
      r.skip(20);
      break;
    case AUT.IPC_PERM:
      r.skip(28);
      break;
    case AUT.SOCKET:
      r.skip(14);
      break;
    case AUT.SOCKINET32:
      r.skip(8);
      break;
    case AUT.SOCKINET128:
      r.skip(20);
      break;
    case AUT.OPAQUE:
    case AUT.ZONENAME:
      r.skip(r.u16());
      break;
    case AUT.NEWGROUPS:
      r.skip(4 * r.u16());
      break;
    case AUT.IN_ADDR_EX:
      r.address(r.u32());
      break;
    case AUT.SOCKET_EX: {
      r.skip(4);
      const atype = r.u16();
      if (atype !== AU_IPV4 && atype !== AU_IPV6) throw new Unknown(` (socket_ex address type ${atype})`);
      r.skip(2 + atype + 2 + atype);
      break;
    }
    case AUT.SOCKUNIX:
      r.skip(2);
      r.zstr();
      break;
    case AUT.DATA: {
      r.skip(1);
      const unit = r.u8();
      const count = r.u8();
      const unitBytes = [1, 2, 4, 8][unit];
      if (unitBytes === undefined) throw new Unknown(` (data token unit type ${unit})`);
      r.skip(unitBytes * count);
      break;
    }
    case AUT.ARG_UUID:
    case AUT.RETURN_UUID:
      r.skip(17);
      r.skip(r.u16());
      break;
    case AUT.PRIV:
      r.skip(r.u16());
      r.skip(r.u16());
      break;
    case AUT.UPRIV:
      r.skip(1);
      r.skip(r.u16());
      break;
  }
  return { kind: 'skipped', id, name, bytes: 1 + r.pos - start };
}

const SKIPPED: Record<number, string> = {
  [AUT.SEQ]: 'seq',
  [AUT.IN_ADDR]: 'in_addr',
  [AUT.IN_ADDR_EX]: 'in_addr_ex',
  [AUT.IPORT]: 'iport',
  [AUT.IPC]: 'ipc',
  [AUT.IP]: 'ip',
  [AUT.IPC_PERM]: 'ipc_perm',
  [AUT.SOCKET]: 'socket',
  [AUT.SOCKET_EX]: 'socket_ex',
  [AUT.SOCKINET32]: 'sockinet32',
  [AUT.SOCKINET128]: 'sockinet128',
  [AUT.SOCKUNIX]: 'sockunix',
  [AUT.OPAQUE]: 'opaque',
  [AUT.ZONENAME]: 'zonename',
  [AUT.NEWGROUPS]: 'newgroups',
  [AUT.DATA]: 'data',
  [AUT.ARG_UUID]: 'arg_uuid',
  [AUT.RETURN_UUID]: 'return_uuid',
  [AUT.PRIV]: 'privset',
  [AUT.UPRIV]: 'upriv',
};

function readSubject(r: Reader, port64: boolean, ex: boolean): BsmSubject {
  const auid = r.u32();
  const euid = r.u32();
  const egid = r.u32();
  const ruid = r.u32();
  const rgid = r.u32();
  const pid = r.u32();
  const sid = r.u32();
  const port = port64 ? r.u64n() : r.u32();
  const addr = ex ? r.address(r.u32()) : r.address(AU_IPV4);
  return { auid, euid, egid, ruid, rgid, pid, sid, port, addr };
}

/** Thrown when a field runs past the end of the current record. */
class Short extends Error {}
/** Thrown for a token id (or a type field inside one) this decoder does not know. */
class Unknown extends Error {
  constructor(readonly detail: string) {
    super(detail);
  }
}
class TokenError extends Error {
  constructor(
    readonly offset: number,
    readonly id: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

class Reader {
  constructor(
    private readonly buf: Uint8Array,
    public pos: number,
    private readonly end: number,
    readonly base: number,
  ) {}

  #need(n: number): number {
    const at = this.pos;
    if (at + n > this.end) throw new Short();
    this.pos += n;
    return at;
  }

  skip(n: number): void {
    this.#need(n);
  }
  u8(): number {
    return this.buf[this.#need(1)] as number;
  }
  u16(): number {
    return readU16(this.buf, this.#need(2));
  }
  u32(): number {
    return readU32(this.buf, this.#need(4));
  }
  i32(): number {
    return readU32(this.buf, this.#need(4)) | 0;
  }
  u64(): bigint {
    const at = this.#need(8);
    return (BigInt(readU32(this.buf, at)) << 32n) | BigInt(readU32(this.buf, at + 4));
  }
  /** A u64 as a number (exact below 2^53, which every time, port and argument here is). */
  u64n(): number {
    return Number(this.u64());
  }
  /** `len` bytes holding a NUL-terminated string (the NUL counted in len): the bytes before the first NUL. */
  cstr(len: number): string {
    const at = this.#need(len);
    const bytes = this.buf.subarray(at, at + len);
    const nul = bytes.indexOf(0);
    return latin1(nul < 0 ? bytes : bytes.subarray(0, nul));
  }
  /** A NUL-terminated string of unknown length. */
  zstr(): string {
    const at = this.pos;
    const rel = this.buf.subarray(at, this.end).indexOf(0);
    if (rel < 0) throw new Short();
    this.pos = at + rel + 1;
    return latin1(this.buf.subarray(at, at + rel));
  }
  /** An address of type AU_IPv4 (4 bytes) or AU_IPv6 (16 bytes), as text. */
  address(type: number): string {
    if (type !== AU_IPV4 && type !== AU_IPV6) throw new Unknown(` (address type ${type}, neither AU_IPv4 nor AU_IPv6)`);
    const at = this.#need(type);
    const b = this.buf.subarray(at, at + type);
    if (type === AU_IPV4) return Array.from(b).join('.');
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(readU16(b, i).toString(16));
    return groups.join(':');
  }
}

function readU16(b: Uint8Array, at: number): number {
  return ((b[at] as number) << 8) | (b[at + 1] as number);
}

function readU32(b: Uint8Array, at: number): number {
  return (((b[at] as number) << 24) >>> 0) + (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number));
}

function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

function hex(id: number | undefined): string {
  return (id ?? 0).toString(16).padStart(2, '0');
}
