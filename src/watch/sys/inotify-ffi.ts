import koffi from 'koffi';

/**
 * libc bindings for inotify through koffi (no native compile), plus the few calls the read loop
 * needs (poll, read, close, eventfd/write for waking a poll from close()).
 *
 * Contract: every function returns its C result when it succeeds and `-errno` when the call
 * failed (errno is read right after the call, on the same thread). Path arguments are
 * NUL-terminated byte buffers, so any name the kernel accepts works, UTF-8 or not. Only
 * `pollAsync` blocks, and it runs on koffi's worker (libuv pool) thread, never on the main thread;
 * the pollfd array it receives must stay untouched until the promise settles.
 */
export interface InotifyFfi {
  inotifyInit1(flags: number): number;
  inotifyAddWatch(fd: number, pathz: Buffer, mask: number): number;
  inotifyRmWatch(fd: number, wd: number): number;
  read(fd: number, buf: Buffer, count: number): number;
  write(fd: number, buf: Buffer, count: number): number;
  eventfd(initval: number, flags: number): number;
  close(fd: number): number;
  /** poll(2) on the worker pool; resolves to the number of ready fds, 0 on timeout, -1 on error. */
  pollAsync(fds: Buffer, nfds: number, timeoutMs: number): Promise<number>;
}

export const POLLIN = 0x1;
/** sizeof(struct pollfd): int fd; short events; short revents. */
export const POLLFD_BYTES = 8;
/** eventfd flags: EFD_NONBLOCK | EFD_CLOEXEC (generic values, as IN_NONBLOCK/IN_CLOEXEC). */
export const EFD_NONBLOCK_CLOEXEC = 0o4000 | 0o2000000;

let loaded: InotifyFfi | undefined;

/** Loads libc once per process. Throws where libc.so.6 is missing (not Linux/glibc). */
export function loadInotifyFfi(): InotifyFfi {
  loaded ??= bind(koffi.load('libc.so.6'));
  return loaded;
}

function bind(lib: koffi.IKoffiLib): InotifyFfi {
  const init1 = lib.func('int inotify_init1(int flags)');
  const addWatch = lib.func('int inotify_add_watch(int fd, const void *pathname, uint32_t mask)');
  const rmWatch = lib.func('int inotify_rm_watch(int fd, int wd)');
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
    inotifyInit1: (flags) => checked(init1(flags)),
    inotifyAddWatch: (fd, pathz, mask) => checked(addWatch(fd, pathz, mask >>> 0)),
    inotifyRmWatch: (fd, wd) => checked(rmWatch(fd, wd)),
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
