import { endianness } from 'node:os';
import { describe, expect, it } from 'vitest';
import { WatchError } from '../source.js';
import { EFD_NONBLOCK_CLOEXEC, FdPoll, POLLFD_BYTES, POLLIN, pollFds, revents } from './fd-poll.js';

const hostLE = endianness() === 'LE';

describe('pollFds / revents', () => {
  it('lay out struct pollfd {int fd; short events; short revents} in either byte order', () => {
    const le = pollFds([7, -1], true);
    expect(le.length).toBe(2 * POLLFD_BYTES);
    expect(le.toString('hex')).toBe('07000000' + '0100' + '0000' + 'ffffffff' + '0100' + '0000');
    const be = pollFds([7, -1], false);
    expect(be.toString('hex')).toBe('00000007' + '0001' + '0000' + 'ffffffff' + '0001' + '0000');
    le.writeInt16LE(0x19, 14);
    be.writeInt16BE(0x19, 14);
    expect([revents(le, 0, true), revents(le, 1, true)]).toEqual([0, 0x19]);
    expect([revents(be, 0, false), revents(be, 1, false)]).toEqual([0, 0x19]);
  });

  it('default to the host byte order', () => {
    expect(pollFds([3])).toEqual(pollFds([3], hostLE));
    expect(POLLIN).toBe(1);
  });
});

/** poll(2) scripted: each call takes the next answer; fds and timeouts are recorded. */
class FakeCalls {
  polls: { fds: number[]; nfds: number; timeoutMs: number }[] = [];
  writes: [number, string][] = [];
  closed: number[] = [];
  eventfdFlags: number[] = [];
  answers: (number | 'readable')[] = [];

  write(fd: number, buf: Buffer, count: number): number {
    this.writes.push([fd, buf.subarray(0, count).toString('hex')]);
    return count;
  }
  close(fd: number): number {
    this.closed.push(fd);
    return 0;
  }
  eventfd(_init: number, flags: number): number {
    this.eventfdFlags.push(flags);
    return 9;
  }
  pipe2(fds: Buffer): number {
    for (const [i, fd] of [11, 12].entries()) {
      if (hostLE) fds.writeInt32LE(fd, 4 * i);
      else fds.writeInt32BE(fd, 4 * i);
    }
    return 0;
  }
  async pollAsync(fds: Buffer, nfds: number, timeoutMs: number): Promise<number> {
    const read = (i: number) => (hostLE ? fds.readInt32LE(i * POLLFD_BYTES) : fds.readInt32BE(i * POLLFD_BYTES));
    this.polls.push({ fds: [read(0), read(1)], nfds, timeoutMs });
    const a = this.answers.shift() ?? 0;
    if (a !== 'readable') return a;
    if (hostLE) fds.writeInt16LE(POLLIN, 6);
    else fds.writeInt16BE(POLLIN, 6);
    return 1;
  }
}

describe('FdPoll', () => {
  it('with an eventfd: polls [fd, eventfd], true only when fd is readable, wakes with a u64 1, closes the eventfd once', async () => {
    const calls = new FakeCalls();
    const poll = FdPoll.withEventfd(calls, 5, 'the test fd') as FdPoll;
    expect(calls.eventfdFlags).toEqual([EFD_NONBLOCK_CLOEXEC]);
    calls.answers = ['readable', 0, 1];
    expect(await poll.wait(100)).toBe(true);
    expect(await poll.wait(100)).toBe(false); // timeout
    expect(await poll.wait(100)).toBe(false); // ready, but not fd (the wake fd)
    expect(calls.polls[0]).toEqual({ fds: [5, 9], nfds: 2, timeoutMs: 100 });
    poll.wake();
    expect(calls.writes).toEqual([[9, hostLE ? '0100000000000000' : '0000000000000001']]);
    calls.answers = ['readable'];
    expect(await poll.wait(100)).toBe(false); // woken: every later wait is false
    poll.close();
    poll.close();
    poll.wake();
    expect(calls.closed).toEqual([9]);
    expect(calls.writes.length).toBe(1);
  });

  it('with a pipe: polls the read end, wakes through the write end with one byte, closes both', async () => {
    const calls = new FakeCalls();
    const poll = FdPoll.withPipe(calls, 5, '/dev/x', 0x4) as FdPoll;
    calls.answers = ['readable'];
    expect(await poll.wait(20)).toBe(true);
    expect(calls.polls[0]?.fds).toEqual([5, 11]);
    poll.wake();
    expect(calls.writes).toEqual([[12, '01']]);
    poll.close();
    expect(calls.closed).toEqual([11, 12]);
  });

  it('returns -errno when the wake descriptor cannot be made', () => {
    const calls = new FakeCalls();
    calls.eventfd = () => -24;
    calls.pipe2 = () => -23;
    expect(FdPoll.withEventfd(calls, 5, 'x')).toBe(-24);
    expect(FdPoll.withPipe(calls, 5, 'x', 0)).toBe(-23);
  });

  it('resolves false on a failed poll, and rejects with EPOLL after more than 100 in a row', async () => {
    const calls = new FakeCalls();
    const poll = FdPoll.withEventfd(calls, 5, 'the test fd') as FdPoll;
    calls.answers = [...Array<number>(100).fill(-1), 0, ...Array<number>(100).fill(-1)];
    for (let i = 0; i < 201; i++) expect(await poll.wait(1)).toBe(false); // a success in between resets the count
    calls.answers = [-1];
    const e = await poll.wait(1).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WatchError);
    expect(e).toMatchObject({ code: 'EPOLL', message: 'poll(2) on the test fd keeps failing' });
  });
});
