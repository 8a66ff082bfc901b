import type koffi from 'koffi';
import { bindFdCalls, checked, loadLibc, type FdCalls } from './libc.js';

/**
 * FreeBSD libc bindings for /dev/auditpipe through koffi: open, ioctl, plus read, poll, close
 * (sys/libc.ts), a pipe to wake the poll from close(), and auditon(2) to ask whether auditing runs.
 *
 * Contract: as sys/libc.ts — every call returns its C result on success and `-errno` on
 * failure (errno read right after the call, on the same thread); only `pollAsync` blocks, on
 * koffi's worker (libuv pool) thread, and its pollfd buffer must stay untouched until it settles.
 * ioctl and auditon pass `arg` by address: the kernel reads and writes the Buffer's bytes.
 */
export interface AuditPipeFfi extends FdCalls {
  open(pathz: Buffer, flags: number): number;
  ioctl(fd: number, request: number, arg: Buffer): number;
  auditon(cmd: number, data: Buffer, length: number): number;
  /** pipe2(2) into `fds` (two native ints). */
  pipe2(fds: Buffer, flags: number): number;
}

/** FreeBSD <fcntl.h>. */
export const O_RDONLY = 0;
export const O_NONBLOCK = 0x4;
export const O_CLOEXEC = 0x00100000;

/** FreeBSD amd64 auditpipe ioctls (sys/security/audit/audit_ioctl.h), as DESIGN.md records them. */
export const AUDITPIPE = {
  SET_QLIMIT: 0x80044103,
  GET_QLIMIT_MAX: 0x40044105,
  SET_PRESELECT_FLAGS: 0x80084107,
  SET_PRESELECT_NAFLAGS: 0x80084109,
  SET_PRESELECT_MODE: 0x8004410f,
  GET_DROPS: 0x40084166,
} as const;
/** AUDITPIPE_PRESELECT_MODE_LOCAL: this pipe's own flags choose its records. */
export const PRESELECT_MODE_LOCAL = 2;
/** auditon(2) A_GETCOND and its answer while auditd runs (sys/bsm/audit.h). */
export const A_GETCOND = 37;
export const AUC_AUDITING = 1;

let loaded: AuditPipeFfi | undefined;

/** Binds once per process. Throws where libc.so.7 is missing (not FreeBSD). */
export function loadAuditPipeFfi(): AuditPipeFfi {
  loaded ??= bind(loadLibc('libc.so.7'));
  return loaded;
}

function bind(lib: koffi.IKoffiLib): AuditPipeFfi {
  const open = lib.func('int open(const void *path, int flags, ...)');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, ...)');
  const auditon = lib.func('int auditon(int cmd, _Inout_ void *data, unsigned int length)');
  const pipe2 = lib.func('int pipe2(_Out_ void *fds, int flags)');
  return {
    ...bindFdCalls(lib, 'unsigned int'),
    open: (pathz, flags) => checked(open(pathz, flags)),
    ioctl: (fd, request, arg) => checked(ioctl(fd, request, 'void *', arg)),
    auditon: (cmd, data, length) => checked(auditon(cmd, data, length)),
    pipe2: (fds, flags) => checked(pipe2(fds, flags)),
  };
}
