import { endianness } from 'node:os';
import { WatchError } from '../source.js';
import type { EventfdCall, FdCalls } from './libc.js';

export const POLLIN = 0x1;
/** sizeof(struct pollfd): int fd; short events; short revents. */
export const POLLFD_BYTES = 8;
/** eventfd flags: EFD_NONBLOCK | EFD_CLOEXEC (generic values, as IN_NONBLOCK/IN_CLOEXEC). */
export const EFD_NONBLOCK_CLOEXEC = 0o4000 | 0o2000000;
/** Failed polls in a row (EINTR in practice) before FdPoll gives up: never a busy loop. */
const MAX_POLL_ERRORS = 100;

const hostLE = endianness() === 'LE';

/** A struct pollfd array asking POLLIN of each of `fds`, in the given byte order (host order by default). */
export function pollFds(fds: readonly number[], le = hostLE): Buffer {
  const b = Buffer.alloc(fds.length * POLLFD_BYTES);
  for (const [i, fd] of fds.entries()) {
    if (le) {
      b.writeInt32LE(fd, i * POLLFD_BYTES);
      b.writeInt16LE(POLLIN, i * POLLFD_BYTES + 4);
    } else {
      b.writeInt32BE(fd, i * POLLFD_BYTES);
      b.writeInt16BE(POLLIN, i * POLLFD_BYTES + 4);
    }
  }
  return b;
}

/** The revents the kernel wrote into entry `i` of a pollFds array. */
export function revents(fds: Buffer, i: number, le = hostLE): number {
  return le ? fds.readInt16LE(i * POLLFD_BYTES + 6) : fds.readInt16BE(i * POLLFD_BYTES + 6);
}

type PollCalls = Pick<FdCalls, 'write' | 'close' | 'pollAsync'>;

/**
 * Waits until one descriptor is readable, and lets close() end such a wait at once: poll(2) on
 * [fd, a wake descriptor] on the worker pool, the wake descriptor being an eventfd (Linux) or a
 * pipe (FreeBSD) that this object creates and releases.
 *
 * Contract: one wait at a time (the pollfd array must stay untouched until poll returns).
 * `wait` resolves true when `fd` is readable (any revents on it), false on timeout, once `wake()`
 * was called, and on a failed poll (EINTR); more than 100 failed polls in a row reject it with a
 * WatchError of code EPOLL naming `what`. `wake()` may be called at any time and from then on
 * every wait resolves false. `close()` releases the wake descriptor only (`fd` stays the
 * caller's), is idempotent, and may come only once no wait is pending.
 */
export class FdPoll {
  #woken = false;
  #errors = 0;
  #wakeFds: number[];

  private constructor(
    private readonly ffi: PollCalls,
    private readonly fd: number,
    private readonly what: string,
    wakeFds: number[],
    /** What wakes a poll on wakeFds[0] when written to the last of them. */
    private readonly token: Buffer,
  ) {
    this.#wakeFds = wakeFds;
  }

  /** With an eventfd to wake it (Linux). `-errno` when eventfd(2) fails. */
  static withEventfd(ffi: PollCalls & EventfdCall, fd: number, what: string): FdPoll | number {
    const wake = ffi.eventfd(0, EFD_NONBLOCK_CLOEXEC);
    if (wake < 0) return wake;
    const one = Buffer.alloc(8); // the eventfd counter, a u64 in host order
    if (hostLE) one.writeBigUInt64LE(1n);
    else one.writeBigUInt64BE(1n);
    return new FdPoll(ffi, fd, what, [wake], one);
  }

  /** With a pipe to wake it (pipe2 `flags`: the platform's O_NONBLOCK | O_CLOEXEC). `-errno` when pipe2(2) fails. */
  static withPipe(ffi: PollCalls & { pipe2(fds: Buffer, flags: number): number }, fd: number, what: string, flags: number): FdPoll | number {
    const fds = Buffer.alloc(8); // int[2]
    const r = ffi.pipe2(fds, flags);
    if (r < 0) return r;
    const ends = hostLE ? [fds.readInt32LE(0), fds.readInt32LE(4)] : [fds.readInt32BE(0), fds.readInt32BE(4)];
    return new FdPoll(ffi, fd, what, ends, Buffer.from([1]));
  }

  /** Waits on the worker pool until `fd` is readable; false on timeout, on a failed poll, or once woken. */
  async wait(timeoutMs: number): Promise<boolean> {
    const fds = pollFds([this.fd, this.#wakeFds[0] ?? -1]);
    const n = await this.ffi.pollAsync(fds, 2, timeoutMs);
    if (n < 0) {
      // EINTR in practice; anything persistent (EBADF, ENOMEM) must not become a busy loop.
      if (++this.#errors > MAX_POLL_ERRORS) throw new WatchError(`poll(2) on ${this.what} keeps failing`, 'EPOLL');
      return false;
    }
    this.#errors = 0;
    if (n === 0 || this.#woken) return false;
    return revents(fds, 0) !== 0;
  }

  /** Ends a pending wait (and every later one) now. */
  wake(): void {
    this.#woken = true;
    const writeEnd = this.#wakeFds.at(-1);
    if (writeEnd !== undefined) this.ffi.write(writeEnd, this.token, this.token.length);
  }

  /** Releases the wake descriptor(s). */
  close(): void {
    for (const fd of this.#wakeFds) this.ffi.close(fd);
    this.#wakeFds = [];
  }
}
