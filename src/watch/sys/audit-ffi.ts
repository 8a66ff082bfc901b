import type koffi from 'koffi';
import { endianness } from 'node:os';
import { bindEventfd, bindFdCalls, checked, loadLibc, type EventfdCall, type FdCalls } from './libc.js';

/**
 * libc bindings for the audit netlink socket through koffi (no native compile): socket, bind,
 * setsockopt, sendto, recv, plus poll, close, and eventfd/write to wake a poll from close()
 * (sys/libc.ts; datagrams come through recv, never read).
 *
 * Contract: as sys/libc.ts — every function returns its C result when it succeeds and `-errno`
 * when the call failed (errno is read right after the call, on the same thread). Nothing blocks
 * the main thread: sockets are opened non-blocking and `recv` is called with MSG_DONTWAIT; only
 * `pollAsync` waits, on koffi's worker (libuv pool) thread, and the pollfd array it receives must
 * stay untouched until the promise settles.
 */
export interface AuditFfi extends Omit<FdCalls, 'read'>, EventfdCall {
  /** socket(AF_NETLINK, SOCK_RAW|SOCK_NONBLOCK|SOCK_CLOEXEC, NETLINK_AUDIT). */
  openAuditSocket(): number;
  /** bind to a sockaddr_nl with nl_pid 0 (the kernel picks one) and these multicast groups. */
  bindGroups(fd: number, groups: number): number;
  setsockoptInt(fd: number, level: number, name: number, value: number): number;
  getsockoptInt(fd: number, level: number, name: number): number;
  /** sendto the kernel (sockaddr_nl with nl_pid 0). */
  sendToKernel(fd: number, buf: Buffer, len: number): number;
  /** recv(fd, buf, len, MSG_DONTWAIT): the datagram's length, or -EAGAIN when none is queued. */
  recv(fd: number, buf: Buffer, len: number): number;
}

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const NETLINK_AUDIT = 9;
export const MSG_DONTWAIT = 0x40;
export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
/** Like SO_RCVBUF but past net.core.rmem_max (needs CAP_NET_ADMIN). */
export const SO_RCVBUFFORCE = 33;
/** sizeof(struct sockaddr_nl): u16 family, u16 pad, u32 pid, u32 groups. */
const SOCKADDR_NL_BYTES = 12;

let loaded: AuditFfi | undefined;

/** Binds once per process. Throws where libc.so.6 is missing (not Linux/glibc). */
export function loadAuditFfi(): AuditFfi {
  loaded ??= bind(loadLibc('libc.so.6'));
  return loaded;
}

/** Netlink speaks host byte order. */
export const isLittleEndian = endianness() === 'LE';

function sockaddrNl(groups: number): Buffer {
  const b = Buffer.alloc(SOCKADDR_NL_BYTES);
  if (isLittleEndian) {
    b.writeUInt16LE(AF_NETLINK, 0);
    b.writeUInt32LE(groups >>> 0, 8);
  } else {
    b.writeUInt16BE(AF_NETLINK, 0);
    b.writeUInt32BE(groups >>> 0, 8);
  }
  return b;
}

function bind(lib: koffi.IKoffiLib): AuditFfi {
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const bindFn = lib.func('int bind(int fd, const void *addr, uint32_t len)');
  const setsockopt = lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)');
  const getsockopt = lib.func('int getsockopt(int fd, int level, int name, _Out_ void *value, _Inout_ void *len)');
  const sendto = lib.func('long sendto(int fd, const void *buf, unsigned long len, int flags, const void *addr, uint32_t alen)');
  const recv = lib.func('long recv(int fd, _Out_ void *buf, unsigned long len, int flags)');
  const int = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    if (isLittleEndian) b.writeInt32LE(v);
    else b.writeInt32BE(v);
    return b;
  };
  const kernel = sockaddrNl(0);
  return {
    ...bindFdCalls(lib),
    ...bindEventfd(lib),
    openAuditSocket: () => checked(socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_AUDIT)),
    bindGroups: (fd, groups) => {
      const addr = sockaddrNl(groups);
      return checked(bindFn(fd, addr, addr.length));
    },
    setsockoptInt: (fd, level, name, value) => checked(setsockopt(fd, level, name, int(value), 4)),
    getsockoptInt: (fd, level, name) => {
      const v = Buffer.alloc(4);
      const len = int(4);
      const r = checked(getsockopt(fd, level, name, v, len));
      if (r < 0) return r;
      return isLittleEndian ? v.readInt32LE() : v.readInt32BE();
    },
    sendToKernel: (fd, buf, len) => checked(sendto(fd, buf, len, 0, kernel, kernel.length)),
    recv: (fd, buf, len) => checked(recv(fd, buf, len, MSG_DONTWAIT)),
  };
}
