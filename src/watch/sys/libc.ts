import koffi from 'koffi';

/**
 * The C library through koffi (no native compile): loading it, the -errno convention, and the
 * descriptor calls every binding in sys/ needs (read, write, close, poll; eventfd on Linux).
 *
 * Contract: `loadLibc` loads each library name once per process and throws where it is missing
 * (libc.so.6: Linux with glibc; libc.so.7: FreeBSD). Every bound function returns its C result
 * when it succeeds and `-errno` when it failed (`checked`: errno read right after the call, on
 * the same thread). Only `pollAsync` blocks, on koffi's worker (libuv pool) thread, never on the
 * main thread; the pollfd array it receives must stay untouched until the promise settles.
 */
export interface FdCalls {
  read(fd: number, buf: Buffer, count: number): number;
  write(fd: number, buf: Buffer, count: number): number;
  close(fd: number): number;
  /** poll(2) on the worker pool; resolves to the number of ready fds, 0 on timeout, -1 on error. */
  pollAsync(fds: Buffer, nfds: number, timeoutMs: number): Promise<number>;
}

/** eventfd(2), Linux only (FreeBSD wakes a poll through a pipe). */
export interface EventfdCall {
  eventfd(initval: number, flags: number): number;
}

const libs = new Map<string, koffi.IKoffiLib>();

/** The library `name` (e.g. 'libc.so.6'), loaded on first use. Throws where it is missing. */
export function loadLibc(name: string): koffi.IKoffiLib {
  let lib = libs.get(name);
  if (!lib) {
    lib = koffi.load(name);
    libs.set(name, lib);
  }
  return lib;
}

/** A C call's result as it is, or `-errno` when it is negative. Call it right after the C call. */
export function checked(r: unknown): number {
  const n = Number(r);
  return n < 0 ? -koffi.errno() : n;
}

/** read, write, close and poll from `lib`; `nfdsT` is nfds_t (unsigned long on Linux, unsigned int on FreeBSD). */
export function bindFdCalls(lib: koffi.IKoffiLib, nfdsT: 'unsigned long' | 'unsigned int' = 'unsigned long'): FdCalls {
  const read = lib.func('long read(int fd, _Out_ void *buf, unsigned long count)');
  const write = lib.func('long write(int fd, const void *buf, unsigned long count)');
  const close = lib.func('int close(int fd)');
  const poll = lib.func(`int poll(_Inout_ void *fds, ${nfdsT} nfds, int timeout)`);
  return {
    read: (fd, buf, count) => checked(read(fd, buf, count)),
    write: (fd, buf, count) => checked(write(fd, buf, count)),
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

/** eventfd from `lib` (Linux). */
export function bindEventfd(lib: koffi.IKoffiLib): EventfdCall {
  const eventfd = lib.func('int eventfd(unsigned int initval, int flags)');
  return { eventfd: (initval, flags) => checked(eventfd(initval, flags)) };
}
