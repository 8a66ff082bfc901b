import { constants as osConstants } from 'node:os';

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(osConstants.errno).map(([name, n]) => [n, name] as const),
);

/** 'ENOENT' for 2 (or -2, as the FFI calls return it); `errno N` for numbers the platform does not name. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(Math.abs(errno)) ?? `errno ${Math.abs(errno)}`;
}

/** This platform's values (libc returns them, so they are the host's, never Linux's by assumption). */
export const { ENOENT, ENOTDIR, ELOOP, ENOSPC, EMFILE, EAGAIN, EINTR, EINVAL } = osConstants.errno;
