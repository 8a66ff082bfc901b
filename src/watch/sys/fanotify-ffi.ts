import type koffi from 'koffi';
import { bindEventfd, bindFdCalls, checked, loadLibc, type EventfdCall, type FdCalls } from './libc.js';

/**
 * libc bindings for fanotify through koffi (no native compile): fanotify_init/fanotify_mark,
 * open_by_handle_at to turn a reported directory handle into an fd, plus open/read/close/poll
 * and eventfd for the read loop (sys/libc.ts).
 *
 * Contract: as sys/libc.ts — every function returns its C result when it succeeds and `-errno`
 * when it failed (errno read right after the call, on the same thread). Paths are NUL-terminated
 * byte buffers. Only `pollAsync` blocks, on koffi's worker (libuv pool) thread; its pollfd array
 * must stay untouched until the promise settles.
 */
export interface FanotifyFfi extends FdCalls, EventfdCall {
  fanotifyInit(flags: number, eventFlags: number): number;
  /** `mask` is 64 bits wide; `dirfd` AT_FDCWD (-100) for an absolute path. */
  fanotifyMark(fd: number, flags: number, mask: bigint, dirfd: number, pathz: Buffer): number;
  /** `handle` is a struct file_handle (handle_bytes, handle_type, f_handle). */
  openByHandleAt(mountFd: number, handle: Buffer, flags: number): number;
  open(pathz: Buffer, flags: number): number;
}

let loaded: FanotifyFfi | undefined;

/** Binds once per process. Throws where libc.so.6 is missing (not Linux/glibc). */
export function loadFanotifyFfi(): FanotifyFfi {
  loaded ??= bind(loadLibc('libc.so.6'));
  return loaded;
}

function bind(lib: koffi.IKoffiLib): FanotifyFfi {
  const init = lib.func('int fanotify_init(unsigned int flags, unsigned int event_f_flags)');
  const mark = lib.func('int fanotify_mark(int fd, unsigned int flags, uint64_t mask, int dirfd, const void *pathname)');
  const byHandle = lib.func('int open_by_handle_at(int mount_fd, const void *handle, int flags)');
  const open = lib.func('int open(const void *pathname, int flags)');
  return {
    ...bindFdCalls(lib),
    ...bindEventfd(lib),
    fanotifyInit: (flags, eventFlags) => checked(init(flags >>> 0, eventFlags >>> 0)),
    fanotifyMark: (fd, flags, mask, dirfd, pathz) => checked(mark(fd, flags >>> 0, mask, dirfd, pathz)),
    openByHandleAt: (mountFd, handle, flags) => checked(byHandle(mountFd, handle, flags)),
    open: (pathz, flags) => checked(open(pathz, flags)),
  };
}
