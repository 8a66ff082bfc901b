/**
 * The syscalls the linux-audit source translates, by audit arch (pure table). `kind` decides what
 * a NORMAL path item means (names created, deleted or renamed are told by the PATH records'
 * nametype); the dirfd fields name the syscall argument (a0..a3) that holds the directory fd a
 * relative name is resolved against.
 */
export type SyscallKind =
  /** open/openat: a write unless the flags (argument `flagsArg`) are read-only without O_TRUNC/O_CREAT. */
  | 'open'
  /** Content changes: creat, truncate, openat2 (flags out of reach), fallocate. */
  | 'write'
  /** Attribute changes: chmod, chown, xattrs, times. */
  | 'attr'
  | 'rename'
  /** mkdir, mknod, unlink, rmdir, link, symlink: their PATH nametypes say everything. */
  | 'namespace';

export interface SyscallInfo {
  name: string;
  kind: SyscallKind;
  flagsArg?: number;
  /** Argument of each PARENT item's dirfd, in the order the PARENT items come. */
  parentDirfds?: number[];
  /** Argument of the dirfd of a NORMAL item (the syscall's first path). */
  normalDirfd?: number;
}

export const AUDIT_ARCH_X86_64 = 'c000003e';
export const AUDIT_ARCH_AARCH64 = 'c00000b7';

const at0 = { parentDirfds: [0], normalDirfd: 0 };

const X86_64: Record<number, SyscallInfo> = {
  2: { name: 'open', kind: 'open', flagsArg: 1 },
  85: { name: 'creat', kind: 'write' },
  257: { name: 'openat', kind: 'open', flagsArg: 2, ...at0 },
  437: { name: 'openat2', kind: 'write', ...at0 },
  76: { name: 'truncate', kind: 'write' },
  77: { name: 'ftruncate', kind: 'write' },
  285: { name: 'fallocate', kind: 'write' },
  82: { name: 'rename', kind: 'rename' },
  264: { name: 'renameat', kind: 'rename', parentDirfds: [0, 2] },
  316: { name: 'renameat2', kind: 'rename', parentDirfds: [0, 2] },
  83: { name: 'mkdir', kind: 'namespace' },
  258: { name: 'mkdirat', kind: 'namespace', ...at0 },
  84: { name: 'rmdir', kind: 'namespace' },
  87: { name: 'unlink', kind: 'namespace' },
  263: { name: 'unlinkat', kind: 'namespace', ...at0 },
  86: { name: 'link', kind: 'namespace' },
  265: { name: 'linkat', kind: 'namespace', parentDirfds: [2], normalDirfd: 0 },
  88: { name: 'symlink', kind: 'namespace' },
  266: { name: 'symlinkat', kind: 'namespace', parentDirfds: [1] },
  133: { name: 'mknod', kind: 'namespace' },
  259: { name: 'mknodat', kind: 'namespace', ...at0 },
  90: { name: 'chmod', kind: 'attr' },
  91: { name: 'fchmod', kind: 'attr' },
  268: { name: 'fchmodat', kind: 'attr', ...at0 },
  452: { name: 'fchmodat2', kind: 'attr', ...at0 },
  92: { name: 'chown', kind: 'attr' },
  93: { name: 'fchown', kind: 'attr' },
  94: { name: 'lchown', kind: 'attr' },
  260: { name: 'fchownat', kind: 'attr', ...at0 },
  188: { name: 'setxattr', kind: 'attr' },
  189: { name: 'lsetxattr', kind: 'attr' },
  190: { name: 'fsetxattr', kind: 'attr' },
  197: { name: 'removexattr', kind: 'attr' },
  198: { name: 'lremovexattr', kind: 'attr' },
  199: { name: 'fremovexattr', kind: 'attr' },
  463: { name: 'setxattrat', kind: 'attr', ...at0 },
  466: { name: 'removexattrat', kind: 'attr', ...at0 },
  132: { name: 'utime', kind: 'attr' },
  235: { name: 'utimes', kind: 'attr' },
  261: { name: 'futimesat', kind: 'attr', ...at0 },
  280: { name: 'utimensat', kind: 'attr', ...at0 },
};

const AARCH64: Record<number, SyscallInfo> = {
  56: { name: 'openat', kind: 'open', flagsArg: 2, ...at0 },
  437: { name: 'openat2', kind: 'write', ...at0 },
  45: { name: 'truncate', kind: 'write' },
  46: { name: 'ftruncate', kind: 'write' },
  47: { name: 'fallocate', kind: 'write' },
  38: { name: 'renameat', kind: 'rename', parentDirfds: [0, 2] },
  276: { name: 'renameat2', kind: 'rename', parentDirfds: [0, 2] },
  34: { name: 'mkdirat', kind: 'namespace', ...at0 },
  35: { name: 'unlinkat', kind: 'namespace', ...at0 },
  36: { name: 'symlinkat', kind: 'namespace', parentDirfds: [1] },
  37: { name: 'linkat', kind: 'namespace', parentDirfds: [2], normalDirfd: 0 },
  33: { name: 'mknodat', kind: 'namespace', ...at0 },
  52: { name: 'fchmod', kind: 'attr' },
  53: { name: 'fchmodat', kind: 'attr', ...at0 },
  452: { name: 'fchmodat2', kind: 'attr', ...at0 },
  54: { name: 'fchownat', kind: 'attr', ...at0 },
  55: { name: 'fchown', kind: 'attr' },
  5: { name: 'setxattr', kind: 'attr' },
  6: { name: 'lsetxattr', kind: 'attr' },
  7: { name: 'fsetxattr', kind: 'attr' },
  14: { name: 'removexattr', kind: 'attr' },
  15: { name: 'lremovexattr', kind: 'attr' },
  16: { name: 'fremovexattr', kind: 'attr' },
  463: { name: 'setxattrat', kind: 'attr', ...at0 },
  466: { name: 'removexattrat', kind: 'attr', ...at0 },
  88: { name: 'utimensat', kind: 'attr', ...at0 },
};

/** The syscall's entry, or undefined for an arch or syscall the table does not know. */
export function syscallInfo(arch: string | undefined, nr: number): SyscallInfo | undefined {
  if (arch === AUDIT_ARCH_X86_64) return X86_64[nr];
  if (arch === AUDIT_ARCH_AARCH64) return AARCH64[nr];
  return undefined;
}

/** O_ACCMODE, O_CREAT, O_TRUNC (the same on x86_64 and aarch64). */
export const O_ACCMODE = 0o3;
export const O_CREAT = 0o100;
export const O_TRUNC = 0o1000;
/** AT_FDCWD (-100) as audit prints a0..a3: the low 32 or all 64 bits in hex. */
export function isAtFdcwd(hex: string | undefined): boolean {
  return hex === 'ffffff9c' || hex === 'ffffffffffffff9c';
}
