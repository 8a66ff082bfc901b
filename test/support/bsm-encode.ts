/**
 * A BSM writer for tests: each function writes one token exactly as OpenBSM's libbsm/bsm_token.c
 * (au_to_*) does — big-endian fields, strings with their NUL counted in the length — and
 * `bsmRecord` frames tokens with a header and a trailer the way the kernel's kau_close() does
 * (record length = header + tokens + trailer). Tests of the decoder also check hand-written bytes,
 * so that this writer and the decoder cannot agree on a mistake.
 */

export interface Subject {
  auid: number;
  euid: number;
  egid: number;
  ruid: number;
  rgid: number;
  pid: number;
  sid: number;
  port: number;
  /** Dotted IPv4, or 8 hex groups (no '::') for IPv6 in the _ex forms. */
  addr: string;
}

export interface Attr {
  mode: number;
  uid: number;
  gid: number;
  fsid: number;
  nodeid: bigint;
  dev: bigint;
}

class W {
  readonly parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v & 0xff]));
    return this;
  }
  u16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v & 0xffff);
    this.parts.push(b);
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  u64(v: bigint | number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(v)));
    this.parts.push(b);
    return this;
  }
  bytes(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  /** ADD_U_INT16(len) then the string and its NUL (len counts the NUL). */
  counted(s: string | Buffer): this {
    const b = Buffer.concat([typeof s === 'string' ? Buffer.from(s, 'latin1') : s, Buffer.from([0])]);
    return this.u16(b.length).bytes(b);
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function addrBytes(addr: string): Buffer {
  if (addr.includes('.')) return Buffer.from(addr.split('.').map(Number));
  const b = Buffer.alloc(16);
  addr.split(':').forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

/** au_to_path */
export const path = (p: string | Buffer): Buffer => new W().u8(0x23).counted(p).done();
/** au_to_text */
export const text = (t: string): Buffer => new W().u8(0x28).counted(t).done();
/** au_to_arg32 / au_to_arg64 */
export const arg32 = (n: number, t: string, v: number): Buffer => new W().u8(0x2d).u8(n).u32(v).counted(t).done();
export const arg64 = (n: number, t: string, v: bigint | number): Buffer => new W().u8(0x71).u8(n).u64(v).counted(t).done();
/** au_to_return32 / au_to_return64: BSM error number (0 = success) and the return value. */
export const return32 = (error: number, value: number): Buffer => new W().u8(0x27).u8(error).u32(value).done();
export const return64 = (error: number, value: bigint | number): Buffer => new W().u8(0x72).u8(error).u64(value).done();
/** au_to_attr32: mode as pad16 + u16, uid, gid, fsid, 64-bit node id, 32-bit device. */
export const attr32 = (a: Attr): Buffer =>
  new W().u8(0x3e).u16(0).u16(a.mode).u32(a.uid).u32(a.gid).u32(a.fsid).u64(a.nodeid).u32(Number(a.dev)).done();
/** au_to_attr64: the same with a 64-bit device. */
export const attr64 = (a: Attr): Buffer => new W().u8(0x73).u16(0).u16(a.mode).u32(a.uid).u32(a.gid).u32(a.fsid).u64(a.nodeid).u64(a.dev).done();

function ids(w: W, s: Subject): W {
  return w.u32(s.auid).u32(s.euid).u32(s.egid).u32(s.ruid).u32(s.rgid).u32(s.pid).u32(s.sid);
}
/** au_to_subject32 (0x24) / au_to_process32 (0x26): port u32, IPv4 machine address. */
export const subject32 = (s: Subject, id = 0x24): Buffer => ids(new W().u8(id), s).u32(s.port).bytes(addrBytes(s.addr)).done();
/** au_to_subject64 (0x75) / au_to_process64 (0x77): port u64. */
export const subject64 = (s: Subject, id = 0x75): Buffer => ids(new W().u8(id), s).u64(s.port).bytes(addrBytes(s.addr)).done();
/** au_to_subject32_ex (0x7a) / au_to_process32_ex (0x7b): port u32, address type (4|16), address. */
export const subject32ex = (s: Subject, id = 0x7a): Buffer => {
  const a = addrBytes(s.addr);
  return ids(new W().u8(id), s).u32(s.port).u32(a.length).bytes(a).done();
};
/** au_to_subject64_ex (0x7c) / au_to_process64_ex (0x7d). */
export const subject64ex = (s: Subject, id = 0x7c): Buffer => {
  const a = addrBytes(s.addr);
  return ids(new W().u8(id), s).u64(s.port).u32(a.length).bytes(a).done();
};
export const process32 = (s: Subject): Buffer => subject32(s, 0x26);
export const process64 = (s: Subject): Buffer => subject64(s, 0x77);
export const process32ex = (s: Subject): Buffer => subject32ex(s, 0x7b);
export const process64ex = (s: Subject): Buffer => subject64ex(s, 0x7d);
/** au_to_exec_args / au_to_exec_env: count, then NUL-terminated strings. */
export const execArgs = (args: string[], id = 0x3c): Buffer =>
  new W().u8(id).u32(args.length).bytes(Buffer.concat(args.map((a) => Buffer.from(a + '\0', 'latin1')))).done();
export const execEnv = (env: string[]): Buffer => execArgs(env, 0x3d);
/** au_to_exit: status, then return value. */
export const exit = (status: number, value: number): Buffer => new W().u8(0x52).u32(status).u32(value).done();
/** au_to_seq */
export const seq = (n: number): Buffer => new W().u8(0x2f).u32(n).done();
/** au_to_trailer */
export const trailer = (size: number): Buffer => new W().u8(0x13).u16(0xb105).u32(size).done();
/** au_to_file: seconds, milliseconds, counted name (what auditd writes at the start and end of a trail). */
export const file = (name: string, timeMs: number): Buffer =>
  new W().u8(0x11).u32(Math.floor(timeMs / 1000)).u32(timeMs % 1000).counted(name).done();

export type HeaderForm = 'header32' | 'header32_ex' | 'header64' | 'header64_ex';

/** au_to_header32_tm & co.: the record length, version 11 (OpenBSM), event, modifier, time. */
export function header(form: HeaderForm, size: number, event: number, timeMs: number, opts: { modifier?: number; addr?: string } = {}): Buffer {
  const id = { header32: 0x14, header32_ex: 0x15, header64: 0x74, header64_ex: 0x79 }[form];
  const w = new W().u8(id).u32(size).u8(11).u16(event).u16(opts.modifier ?? 0);
  if (form === 'header32_ex' || form === 'header64_ex') {
    const a = addrBytes(opts.addr ?? '127.0.0.1');
    w.u32(a.length).bytes(a);
  }
  const s = Math.floor(timeMs / 1000);
  const ms = timeMs % 1000;
  return form === 'header64' || form === 'header64_ex' ? w.u64(s).u64(ms).done() : w.u32(s).u32(ms).done();
}

/** One whole record: header (with the total length), `tokens`, trailer. */
export function bsmRecord(event: number, tokens: Buffer[], opts: { time?: number; form?: HeaderForm; modifier?: number; addr?: string } = {}): Buffer {
  const form = opts.form ?? 'header32';
  const time = opts.time ?? 1_700_000_000_123;
  const headerLen = header(form, 0, event, time, opts).length;
  const size = headerLen + tokens.reduce((n, t) => n + t.length, 0) + 7;
  return Buffer.concat([header(form, size, event, time, opts), ...tokens, trailer(size)]);
}

/** A subject as FreeBSD's kernel writes it for a local process. */
export function subjectOf(pid: number, euid = 1001, more: Partial<Subject> = {}): Subject {
  return { auid: 1001, euid, egid: 1001, ruid: euid, rgid: 1001, pid, sid: 77, port: 0, addr: '0.0.0.0', ...more };
}

/**
 * The record FreeBSD writes for a successful (or failed, `error` ≠ 0) file system call: the
 * call's tokens, then subject32 and return32 — kaudit_to_bsm()'s order.
 */
export function syscall(event: number, pid: number, tokens: Buffer[], opts: { error?: number; ret?: number; euid?: number; time?: number } = {}): Buffer {
  return bsmRecord(event, [...tokens, subject32(subjectOf(pid, opts.euid)), return32(opts.error ?? 0, opts.ret ?? 0)], opts.time !== undefined ? { time: opts.time } : {});
}
