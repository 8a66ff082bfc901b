/**
 * The audit event numbers livemirror acts on (sys/bsm/audit_kevents.h, OpenBSM), with their
 * names for `livemirror bsm`. FreeBSD maps its system calls onto these in
 * sys/kern/syscalls.master: e.g. futimens(2) is AUE_FUTIMES, utimensat(2) AUE_FUTIMESAT,
 * funlinkat(2) AUE_UNLINKAT, open(2) one of AUE_OPEN_* by its flags (O_RDONLY/O_WRONLY/O_RDWR,
 * O_CREAT, O_TRUNC), openat(2) one of AUE_OPENAT_*.
 */
export const AUE = {
  OPEN: 3,
  CREAT: 4,
  LINK: 5,
  UNLINK: 6,
  MKNOD: 9,
  CHMOD: 10,
  CHOWN: 11,
  SYMLINK: 21,
  EXECVE: 23,
  FCHOWN: 38,
  FCHMOD: 39,
  RENAME: 42,
  TRUNCATE: 43,
  FTRUNCATE: 44,
  MKDIR: 47,
  RMDIR: 48,
  UTIMES: 49,
  OPEN_R: 72,
  OPEN_RC: 73,
  OPEN_RT: 74,
  OPEN_RTC: 75,
  OPEN_W: 76,
  OPEN_WC: 77,
  OPEN_WT: 78,
  OPEN_WTC: 79,
  OPEN_RW: 80,
  OPEN_RWC: 81,
  OPEN_RWT: 82,
  OPEN_RWTC: 83,
  CLOSE: 112,
  LCHOWN: 237,
  OPENAT_R: 270,
  OPENAT_RC: 271,
  OPENAT_RT: 272,
  OPENAT_RTC: 273,
  OPENAT_W: 274,
  OPENAT_WC: 275,
  OPENAT_WT: 276,
  OPENAT_WTC: 277,
  OPENAT_RW: 278,
  OPENAT_RWC: 279,
  OPENAT_RWT: 280,
  OPENAT_RWTC: 281,
  RENAMEAT: 282,
  FCHOWNAT: 284,
  FUTIMESAT: 285,
  UNLINKAT: 286,
  CHFLAGS: 43003,
  FCHFLAGS: 43004,
  MKFIFO: 43011,
  FUTIMES: 43013,
  LCHMOD: 43044,
  LUTIMES: 43052,
  LCHFLAGS: 43053,
  EXTATTR_SET_FILE: 43103,
  EXTATTR_DELETE_FILE: 43105,
  EXTATTR_SET_FD: 43107,
  EXTATTR_DELETE_FD: 43109,
  EXTATTR_SET_LINK: 43111,
  EXTATTR_DELETE_LINK: 43113,
  FCHMODAT: 43146,
  LINKAT: 43147,
  MKDIRAT: 43148,
  MKFIFOAT: 43149,
  MKNODAT: 43150,
  SYMLINKAT: 43152,
  OPENAT: 43184,
  CHFLAGSAT: 43209,
  POSIX_FALLOCATE: 43212,
  FSPACECTL: 43269,
} as const;

const NAMES = new Map<number, string>(Object.entries(AUE).map(([k, v]) => [v, `AUE_${k}`] as const));

/** 'AUE_RENAME' for 42; undefined for numbers this table does not name. */
export function eventName(event: number): string | undefined {
  return NAMES.get(event);
}

/** What an event does to the tree (bsm-translate.ts turns it into FsEvents). */
export type EventAction =
  /** A new name (file, node, fifo) at the first path. */
  | 'create'
  | 'mkdir'
  /** A new name at the last path (link(2): existing, new). */
  | 'link'
  /** open(2): what it does depends on `flags` (see OpenKind). */
  | 'open'
  | 'truncate'
  | 'attrib'
  | 'unlink'
  | 'rmdir'
  | 'rename'
  | 'close';

/** How an open event writes: by the access mode and O_CREAT / O_TRUNC of its event number. */
export interface OpenKind {
  write: boolean;
  creat: boolean;
  trunc: boolean;
}

const OPEN_KINDS = new Map<number, OpenKind>();
// Both families list R, RC, RT, RTC, W, WC, WT, WTC, RW, RWC, RWT, RWTC in this order.
for (let i = 0; i < 12; i++) {
  const kind: OpenKind = { write: i >= 4, creat: i % 2 === 1, trunc: i % 4 >= 2 };
  OPEN_KINDS.set(AUE.OPEN_R + i, kind);
  OPEN_KINDS.set(AUE.OPENAT_R + i, kind);
}

/** The flags an AUE_OPEN_* / AUE_OPENAT_* number stands for; undefined for other events (and for the generic AUE_OPEN/AUE_OPENAT). */
export function openKind(event: number): OpenKind | undefined {
  return OPEN_KINDS.get(event);
}

/** FreeBSD <fcntl.h> flags, for the generic AUE_OPEN/AUE_OPENAT, whose `flags` argument says it. */
export const O_ACCMODE = 0x3;
export const O_CREAT = 0x200;
export const O_TRUNC = 0x400;

const ACTIONS = new Map<number, EventAction>([
  [AUE.CREAT, 'create'],
  [AUE.MKNOD, 'create'],
  [AUE.MKNODAT, 'create'],
  [AUE.MKFIFO, 'create'],
  [AUE.MKFIFOAT, 'create'],
  [AUE.SYMLINK, 'create'],
  [AUE.SYMLINKAT, 'create'],
  [AUE.MKDIR, 'mkdir'],
  [AUE.MKDIRAT, 'mkdir'],
  [AUE.LINK, 'link'],
  [AUE.LINKAT, 'link'],
  [AUE.OPEN, 'open'],
  [AUE.OPENAT, 'open'],
  ...[...OPEN_KINDS.keys()].map((e) => [e, 'open'] as [number, EventAction]),
  [AUE.TRUNCATE, 'truncate'],
  [AUE.FTRUNCATE, 'truncate'],
  [AUE.POSIX_FALLOCATE, 'truncate'],
  [AUE.FSPACECTL, 'truncate'],
  ...(
    [
      AUE.CHMOD, AUE.FCHMOD, AUE.LCHMOD, AUE.FCHMODAT,
      AUE.CHOWN, AUE.FCHOWN, AUE.LCHOWN, AUE.FCHOWNAT,
      AUE.UTIMES, AUE.FUTIMES, AUE.LUTIMES, AUE.FUTIMESAT,
      AUE.CHFLAGS, AUE.FCHFLAGS, AUE.LCHFLAGS, AUE.CHFLAGSAT,
      AUE.EXTATTR_SET_FILE, AUE.EXTATTR_DELETE_FILE, AUE.EXTATTR_SET_FD,
      AUE.EXTATTR_DELETE_FD, AUE.EXTATTR_SET_LINK, AUE.EXTATTR_DELETE_LINK,
    ] as number[]
  ).map((e) => [e, 'attrib'] as [number, EventAction]),
  [AUE.UNLINK, 'unlink'],
  [AUE.UNLINKAT, 'unlink'],
  [AUE.RMDIR, 'rmdir'],
  [AUE.RENAME, 'rename'],
  [AUE.RENAMEAT, 'rename'],
  [AUE.CLOSE, 'close'],
]);

export function eventAction(event: number): EventAction | undefined {
  return ACTIONS.get(event);
}
