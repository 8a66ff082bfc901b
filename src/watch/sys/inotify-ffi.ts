import type koffi from 'koffi';
import { bindEventfd, bindFdCalls, checked, loadLibc, type EventfdCall, type FdCalls } from './libc.js';

/**
 * libc bindings for inotify through koffi (no native compile), plus the few calls the read loop
 * needs (poll, read, close, eventfd/write for waking a poll from close(); sys/libc.ts).
 *
 * Contract: as sys/libc.ts — every function returns its C result when it succeeds and `-errno`
 * when the call failed (errno is read right after the call, on the same thread). Path arguments
 * are NUL-terminated byte buffers, so any name the kernel accepts works, UTF-8 or not. Only
 * `pollAsync` blocks, and it runs on koffi's worker (libuv pool) thread, never on the main thread;
 * the pollfd array it receives must stay untouched until the promise settles.
 */
export interface InotifyFfi extends FdCalls, EventfdCall {
  inotifyInit1(flags: number): number;
  inotifyAddWatch(fd: number, pathz: Buffer, mask: number): number;
  inotifyRmWatch(fd: number, wd: number): number;
}

let loaded: InotifyFfi | undefined;

/** Binds once per process. Throws where libc.so.6 is missing (not Linux/glibc). */
export function loadInotifyFfi(): InotifyFfi {
  loaded ??= bind(loadLibc('libc.so.6'));
  return loaded;
}

function bind(lib: koffi.IKoffiLib): InotifyFfi {
  const init1 = lib.func('int inotify_init1(int flags)');
  const addWatch = lib.func('int inotify_add_watch(int fd, const void *pathname, uint32_t mask)');
  const rmWatch = lib.func('int inotify_rm_watch(int fd, int wd)');
  return {
    ...bindFdCalls(lib),
    ...bindEventfd(lib),
    inotifyInit1: (flags) => checked(init1(flags)),
    inotifyAddWatch: (fd, pathz, mask) => checked(addWatch(fd, pathz, mask >>> 0)),
    inotifyRmWatch: (fd, wd) => checked(rmWatch(fd, wd)),
  };
}
