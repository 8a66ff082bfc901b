import koffi from 'koffi';

/**
 * libc bindings for fanotify through koffi (no native compile): fanotify_init/fanotify_mark,
 * open_by_handle_at to turn a reported directory handle into an fd, plus open/read/close/poll
 * and eventfd for the read loop (the same shape as inotify-ffi.ts).
 *
 * Contract: every function returns its C result when it succeeds and `-errno` when it failed
 * (errno read right after the call, on the same thread). Paths are NUL-terminated byte buffers.
 * Only `pollAsync` blocks, on koffi's worker (libuv pool) thread; its pollfd array must stay
 * untouched until the promise settles.
 */
export interface FanotifyFfi {
  fanotifyInit(flags: number, eventFlags: number): number;
  /** `mask` is 64 bits wide; `dirfd` AT_FDCWD (-100) for an absolute path. */
  fanotifyMark(fd: number, flags: number, mask: bigint, dirfd: number, pathz: Buffer): number;
  /** `handle` is a struct file_handle (handle_bytes, handle_type, f_handle). */
  openByHandleAt(mountFd: number, handle: Buffer, flags: number): number;
  open(pathz: Buffer, flags: number): number;
  read(fd: number, buf: Buffer, count: number): number;
  write(fd: number, buf: Buffer, count: number): number;
  eventfd(initval: number, flags: number): number;
  close(fd: number): number;
  pollAsync(fds: Buffer, nfds: number, timeoutMs: number): Promise<number>;
}

let loaded: FanotifyFfi | undefined;

/** Loads libc once per process. Throws where libc.so.6 is missing (not Linux/glibc). */
export function loadFanotifyFfi(): FanotifyFfi {
  loaded ??= bind(koffi.load('libc.so.6'));
  return loaded;
}

function bind(lib: koffi.IKoffiLib): FanotifyFfi {
  const init = lib.func('int fanotify_init(unsigned int flags, unsigned int event_f_flags)');
  const mark = lib.func('int fanotify_mark(int fd, unsigned int flags, uint64_t mask, int dirfd, const void *pathname)');
  const byHandle = lib.func('int open_by_handle_at(int mount_fd, const void *handle, int flags)');
  const open = lib.func('int open(const void *pathname, int flags)');
  const read = lib.func('long read(int fd, _Out_ void *buf, unsigned long count)');
  const write = lib.func('long write(int fd, const void *buf, unsigned long count)');
  const eventfd = lib.func('int eventfd(unsigned int initval, int flags)');
  const close = lib.func('int close(int fd)');
  const poll = lib.func('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)');
  const checked = (r: unknown): number => {
    const n = Number(r);
    return n < 0 ? -koffi.errno() : n;
  };
  return {
    fanotifyInit: (flags, eventFlags) => checked(init(flags >>> 0, eventFlags >>> 0)),
    fanotifyMark: (fd, flags, mask, dirfd, pathz) => checked(mark(fd, flags >>> 0, mask, dirfd, pathz)),
    openByHandleAt: (mountFd, handle, flags) => checked(byHandle(mountFd, handle, flags)),
    open: (pathz, flags) => checked(open(pathz, flags)),
    read: (fd, buf, count) => checked(read(fd, buf, count)),
    write: (fd, buf, count) => checked(write(fd, buf, count)),
    eventfd: (initval, flags) => checked(eventfd(initval, flags)),
    close: (fd) => checked(close(fd)),
    pollAsync: (fds, nfds, timeoutMs) =>
      new Promise<number>((resolve, reject) => {
        poll.async(fds, nfds, timeoutMs, (err: unknown, r: unknown) => {
          if (err) reject(err instanceof Error ? err : new Error(String(err)));
          else resolve(Number(r));
        });
      }),
  };
}
