/**
 * BSM token ids and the decoded shapes of the tokens livemirror reads, as OpenBSM writes them
 * (sys/bsm/audit_record.h; layouts in libbsm/bsm_token.c, read back as libbsm/bsm_io.c does).
 * Every multi-byte field is big-endian (network order). Paths and texts are byte strings
 * (latin1, one char per byte, as core/path.ts), without their terminating NUL.
 */
export const AUT = {
  OTHER_FILE32: 0x11,
  TRAILER: 0x13,
  HEADER32: 0x14,
  HEADER32_EX: 0x15,
  DATA: 0x21,
  IPC: 0x22,
  PATH: 0x23,
  SUBJECT32: 0x24,
  PROCESS32: 0x26,
  RETURN32: 0x27,
  TEXT: 0x28,
  OPAQUE: 0x29,
  IN_ADDR: 0x2a,
  IP: 0x2b,
  IPORT: 0x2c,
  ARG32: 0x2d,
  SOCKET: 0x2e,
  SEQ: 0x2f,
  IPC_PERM: 0x32,
  PRIV: 0x38,
  UPRIV: 0x39,
  NEWGROUPS: 0x3b,
  EXEC_ARGS: 0x3c,
  EXEC_ENV: 0x3d,
  ATTR32: 0x3e,
  EXIT: 0x52,
  ZONENAME: 0x60,
  ARG64: 0x71,
  RETURN64: 0x72,
  ATTR64: 0x73,
  HEADER64: 0x74,
  SUBJECT64: 0x75,
  PROCESS64: 0x77,
  HEADER64_EX: 0x79,
  SUBJECT32_EX: 0x7a,
  PROCESS32_EX: 0x7b,
  SUBJECT64_EX: 0x7c,
  PROCESS64_EX: 0x7d,
  IN_ADDR_EX: 0x7e,
  SOCKET_EX: 0x7f,
  SOCKINET32: 0x80,
  SOCKINET128: 0x81,
  SOCKUNIX: 0x82,
  ARG_UUID: 0x84,
  RETURN_UUID: 0x85,
} as const;

/** AUT_TRAILER_MAGIC: the trailer's second field. */
export const TRAILER_MAGIC = 0xb105;
/** Address types of the _ex tokens (AU_IPv4, AU_IPv6): the address length in bytes. */
export const AU_IPV4 = 4;
export const AU_IPV6 = 16;

/** Who made the call (subject and process tokens share the layout). */
export interface BsmSubject {
  /** Audit user id (the login user; 4294967295 = AU_DEFAUDITID for daemons started at boot). */
  auid: number;
  euid: number;
  egid: number;
  ruid: number;
  rgid: number;
  pid: number;
  sid: number;
  /** Terminal id: port and machine address (dotted IPv4 or IPv6 hex groups). */
  port: number;
  addr: string;
}

export interface BsmAttr {
  /** FreeBSD writes the permission bits only (vattr.va_mode): no file type. */
  mode: number;
  uid: number;
  gid: number;
  fsid: number;
  nodeid: bigint;
  dev: bigint;
}

export type BsmToken =
  | { kind: 'header'; id: number; size: number; version: number; event: number; modifier: number; time: number; addr?: string }
  | { kind: 'trailer'; magic: number; size: number }
  | { kind: 'path'; path: string }
  | { kind: 'attr'; id: number; attr: BsmAttr }
  | { kind: 'subject'; id: number; subject: BsmSubject }
  | { kind: 'process'; id: number; subject: BsmSubject }
  | { kind: 'return'; id: number; error: number; value: number }
  | { kind: 'arg'; id: number; n: number; value: number; text: string }
  | { kind: 'text'; text: string }
  | { kind: 'exec-args' | 'exec-env'; strings: string[] }
  | { kind: 'exit'; status: number; value: number }
  | { kind: 'file'; time: number; name: string }
  /** A token read and skipped: its layout is known, its content is of no use here. */
  | { kind: 'skipped'; id: number; name: string; bytes: number };

/** One audit record: header, tokens, trailer; plus the fields every consumer wants. */
export interface BsmRecord {
  type: 'record';
  /** Byte offset of the header in the input. */
  offset: number;
  /** Record length, from the header (header and trailer included). */
  size: number;
  event: number;
  modifier: number;
  version: number;
  /** ms since the epoch (the header's seconds and milliseconds). */
  time: number;
  tokens: BsmToken[];
  /** The first subject token (the caller), if any. */
  subject: BsmSubject | undefined;
  /** Path tokens, in record order (rename: from, to). */
  paths: string[];
  attrs: BsmAttr[];
  args: { n: number; value: number; text: string }[];
  /** The return token: error is the BSM error number (0 = success), value the call's return. */
  ret: { error: number; value: number } | undefined;
  texts: string[];
}

/** A file token between records: auditd writes one at the start and end of each trail file. */
export interface BsmFileMark {
  type: 'file';
  offset: number;
  time: number;
  name: string;
}

export type BsmItem = BsmRecord | BsmFileMark;
