/**
 * The audit netlink protocol as bytes (pure: no I/O): nlmsghdr framing, struct audit_status
 * (AUDIT_GET/AUDIT_SET) and struct audit_rule_data (AUDIT_ADD_RULE/DEL_RULE/LIST_RULES), after
 * the kernel's include/uapi/linux/audit.h and linux/netlink.h. Netlink uses host byte order:
 * every function takes `le` (true on little-endian hosts).
 */

export const NLMSG_HDRLEN = 16;
export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLM_F_REQUEST = 0x1;
export const NLM_F_ACK = 0x4;

export const AUDIT_GET = 1000;
export const AUDIT_SET = 1001;
export const AUDIT_ADD_RULE = 1011;
export const AUDIT_DEL_RULE = 1012;
export const AUDIT_LIST_RULES = 1013;
/** A userspace message (1100..1199 are "trusted application" messages); used as the start probe. */
export const AUDIT_TRUSTED_APP = 1121;

export const AUDIT_SYSCALL = 1300;
export const AUDIT_PATH = 1302;
export const AUDIT_CWD = 1307;
export const AUDIT_EOE = 1320;
export const AUDIT_PROCTITLE = 1327;

/** The multicast group of read-only log listeners; bind's nl_groups takes 1 << (group - 1). */
export const AUDIT_NLGRP_READLOG = 1;

export const AUDIT_FILTER_EXIT = 0x04;
export const AUDIT_ALWAYS = 2;
export const AUDIT_BITMASK_SIZE = 64;
export const AUDIT_MAX_FIELDS = 64;

export const AUDIT_PID = 0;
export const AUDIT_UID = 1;
export const AUDIT_PERM = 106;
export const AUDIT_DIR = 107;
export const AUDIT_EXE = 112;
export const AUDIT_FILTERKEY = 210;
/** Fields whose value is a string in buf (values[i] holds its length). */
const STRING_FIELDS = new Set([AUDIT_DIR, 105 /* AUDIT_WATCH */, AUDIT_EXE, AUDIT_FILTERKEY, 13, 14, 15, 16, 17, 19, 20, 21, 22, 23]);

export const AUDIT_EQUAL = 0x40000000;
export const AUDIT_NOT_EQUAL = 0x30000000;

export const AUDIT_PERM_WRITE = 2;
export const AUDIT_PERM_ATTR = 8;

export const AUDIT_STATUS_ENABLED = 0x1;
export const AUDIT_STATUS_BACKLOG_LIMIT = 0x10;

export interface NlMessage {
  type: number;
  flags: number;
  seq: number;
  pid: number;
  payload: Buffer;
}

function u32(b: Buffer, off: number, le: boolean): number {
  return le ? b.readUInt32LE(off) : b.readUInt32BE(off);
}
function w32(b: Buffer, v: number, off: number, le: boolean): void {
  if (le) b.writeUInt32LE(v >>> 0, off);
  else b.writeUInt32BE(v >>> 0, off);
}
function u16(b: Buffer, off: number, le: boolean): number {
  return le ? b.readUInt16LE(off) : b.readUInt16BE(off);
}
function w16(b: Buffer, v: number, off: number, le: boolean): void {
  if (le) b.writeUInt16LE(v, off);
  else b.writeUInt16BE(v, off);
}
const align4 = (n: number): number => (n + 3) & ~3;

/** One request: nlmsghdr + payload (padded to 4 bytes). */
export function encodeNlMessage(type: number, flags: number, seq: number, payload: Buffer, le: boolean): Buffer {
  const len = NLMSG_HDRLEN + payload.length;
  const b = Buffer.alloc(align4(len));
  w32(b, len, 0, le);
  w16(b, type, 4, le);
  w16(b, flags, 6, le);
  w32(b, seq, 8, le);
  w32(b, 0, 12, le);
  payload.copy(b, NLMSG_HDRLEN);
  return b;
}

/**
 * The messages in one datagram of `n` bytes. A length that does not fit the datagram is taken
 * as "to the end": the kernel's multicast audit records do not always count their header.
 */
export function parseNlMessages(buf: Buffer, n: number, le: boolean): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= n) {
    let len = u32(buf, off, le);
    if (len < NLMSG_HDRLEN || off + len > n) len = n - off;
    out.push({
      type: u16(buf, off + 4, le),
      flags: u16(buf, off + 6, le),
      seq: u32(buf, off + 8, le),
      pid: u32(buf, off + 12, le),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** NLMSG_ERROR's errno (0 for an ack), negative as the kernel sends it. */
export function nlError(payload: Buffer, le: boolean): number {
  return le ? payload.readInt32LE(0) : payload.readInt32BE(0);
}

/** struct audit_status (the fields this daemon reads or sets). */
export interface AuditStatus {
  mask: number;
  enabled: number;
  failure: number;
  pid: number;
  rateLimit: number;
  backlogLimit: number;
  lost: number;
  backlog: number;
  featureBitmap: number;
}

const STATUS_FIELDS: Array<keyof AuditStatus> = ['mask', 'enabled', 'failure', 'pid', 'rateLimit', 'backlogLimit', 'lost', 'backlog', 'featureBitmap'];
/** sizeof(struct audit_status) since 5.x: 11 u32 (older kernels accept shorter ones). */
export const AUDIT_STATUS_BYTES = 44;

export function encodeStatus(s: Partial<AuditStatus> & { mask: number }, le: boolean): Buffer {
  const b = Buffer.alloc(AUDIT_STATUS_BYTES);
  STATUS_FIELDS.forEach((k, i) => w32(b, s[k] ?? 0, i * 4, le));
  return b;
}

export function decodeStatus(p: Buffer, le: boolean): AuditStatus {
  const s = {} as AuditStatus;
  STATUS_FIELDS.forEach((k, i) => (s[k] = i * 4 + 4 <= p.length ? u32(p, i * 4, le) : 0));
  return s;
}

/** One field of a rule: a number, or a string (kept as bytes, latin1) for the string fields. */
export interface RuleField {
  field: number;
  op: number;
  value: number | string;
}

export interface AuditRule {
  flags: number;
  action: number;
  /** AUDIT_BITMASK_SIZE words: the syscalls the rule applies to. */
  mask: number[];
  fields: RuleField[];
}

const RULE_HEAD = 12 + AUDIT_BITMASK_SIZE * 4;
const RULE_FIXED = RULE_HEAD + 3 * AUDIT_MAX_FIELDS * 4 + 4;

export function encodeRule(r: AuditRule, le: boolean): Buffer {
  if (r.fields.length > AUDIT_MAX_FIELDS) throw new RangeError('too many rule fields');
  const strings = r.fields.map((f) => (typeof f.value === 'string' ? Buffer.from(f.value, 'latin1') : undefined));
  const bufLen = strings.reduce((n, s) => n + (s?.length ?? 0), 0);
  const b = Buffer.alloc(RULE_FIXED + bufLen);
  w32(b, r.flags, 0, le);
  w32(b, r.action, 4, le);
  w32(b, r.fields.length, 8, le);
  for (let i = 0; i < AUDIT_BITMASK_SIZE; i++) w32(b, r.mask[i] ?? 0, 12 + i * 4, le);
  let strOff = RULE_FIXED;
  r.fields.forEach((f, i) => {
    w32(b, f.field, RULE_HEAD + i * 4, le);
    const s = strings[i];
    w32(b, s ? s.length : (f.value as number), RULE_HEAD + AUDIT_MAX_FIELDS * 4 + i * 4, le);
    w32(b, f.op, RULE_HEAD + 2 * AUDIT_MAX_FIELDS * 4 + i * 4, le);
    if (s) strOff += s.copy(b, strOff);
  });
  w32(b, bufLen, RULE_HEAD + 3 * AUDIT_MAX_FIELDS * 4, le);
  return b;
}

export function decodeRule(p: Buffer, le: boolean): AuditRule {
  if (p.length < RULE_FIXED) throw new RangeError(`audit_rule_data too short: ${p.length} bytes`);
  const count = Math.min(u32(p, 8, le), AUDIT_MAX_FIELDS);
  const mask: number[] = [];
  for (let i = 0; i < AUDIT_BITMASK_SIZE; i++) mask.push(u32(p, 12 + i * 4, le));
  const fields: RuleField[] = [];
  let strOff = RULE_FIXED;
  for (let i = 0; i < count; i++) {
    const field = u32(p, RULE_HEAD + i * 4, le);
    const raw = u32(p, RULE_HEAD + AUDIT_MAX_FIELDS * 4 + i * 4, le);
    const op = u32(p, RULE_HEAD + 2 * AUDIT_MAX_FIELDS * 4 + i * 4, le);
    if (STRING_FIELDS.has(field)) {
      fields.push({ field, op, value: p.subarray(strOff, strOff + raw).toString('latin1') });
      strOff += raw;
    } else {
      fields.push({ field, op, value: raw });
    }
  }
  return { flags: u32(p, 0, le), action: u32(p, 4, le), mask, fields };
}

/** The rule's filter key (AUDIT_FILTERKEY), if it has one. */
export function ruleKey(r: AuditRule): string | undefined {
  const f = r.fields.find((x) => x.field === AUDIT_FILTERKEY);
  return typeof f?.value === 'string' ? f.value : undefined;
}

/**
 * What `auditctl -w DIR -p wa -k KEY [-F exe!=EXE]` sends: an exit-filter rule for every syscall
 * on the directory tree DIR (AUDIT_DIR, bytes as latin1), for write and attribute changes.
 */
export function treeRule(dir: string, key: string, excludeExe?: string): AuditRule {
  const fields: RuleField[] = [
    { field: AUDIT_DIR, op: AUDIT_EQUAL, value: dir },
    { field: AUDIT_PERM, op: AUDIT_EQUAL, value: AUDIT_PERM_WRITE | AUDIT_PERM_ATTR },
  ];
  if (excludeExe !== undefined) fields.push({ field: AUDIT_EXE, op: AUDIT_NOT_EQUAL, value: excludeExe });
  fields.push({ field: AUDIT_FILTERKEY, op: AUDIT_EQUAL, value: key });
  return { flags: AUDIT_FILTER_EXIT, action: AUDIT_ALWAYS, mask: new Array<number>(AUDIT_BITMASK_SIZE).fill(0xffffffff), fields };
}
