import { endianness, constants as osConstants } from 'node:os';
import { defaults } from '../config/defaults.js';
import { realClock, type Clock } from '../core/clock.js';
import type { FsEvent } from '../core/event.js';
import { BatchChannel } from './batch-channel.js';
import { classMask, SELECTED_CLASSES } from './bsm/audit-class.js';
import { decodeBsm } from './bsm/bsm-decode.js';
import { BsmTranslator } from './bsm/bsm-translate.js';
import { UNSUPPORTED, WatchError, type EventSource, type SourceOptions, type SourceStats } from './source.js';
import { StartOnce } from './start-once.js';
import {
  A_GETCOND,
  AUC_AUDITING,
  AUDITPIPE,
  loadAuditPipeFfi,
  O_CLOEXEC,
  O_NONBLOCK,
  O_RDONLY,
  PRESELECT_MODE_LOCAL,
  type AuditPipeFfi,
} from './sys/auditpipe-ffi.js';
import { errnoName } from './sys/errno.js';
import { FdPoll } from './sys/fd-poll.js';

const { EAGAIN, EINTR, ENOENT, EACCES, EPERM, ENOSYS } = osConstants.errno;
export const AUDITPIPE_PATH = '/dev/auditpipe';
const AUDITD_HINT = 'no records at all unless auditd runs: service auditd enable && service auditd start';

export type BsmAuditOptions = SourceOptions &
  Partial<Record<keyof typeof defaults.bsmAudit, number>> & {
    /** Collaborators (tests inject them). */
    ffi?: AuditPipeFfi;
    platform?: NodeJS.Platform;
    ownPid?: number;
  };

/**
 * An EventSource on the FreeBSD kernel audit (see source.ts for the contract every source keeps).
 *
 * start() opens /dev/auditpipe, selects in local mode the classes fc,fd,fw,fm,cl for both
 * attributable and non-attributable (daemon) processes — successes only: a failed call changes
 * nothing — and raises the pipe's queue to its maximum. One loop polls the pipe on the worker pool
 * (never blocking the main thread), reads whole records without blocking, decodes them
 * (bsm/bsm-decode.ts), translates them for the tree (bsm/bsm-translate.ts) and queues a batch per
 * read. The pipe's drop counter is read after each wake-up and at least every pollIntervalMs;
 * when it rises (the queue was full and the kernel dropped records), or when bytes cannot be
 * decoded, an `overflow ''` asks for a rescan of the root. No start-up walk is needed: audit sees
 * the whole machine, the tree filter is a path prefix.
 * Errors: start() rejects with WatchError code UNSUPPORTED off FreeBSD, without the device
 * (kernel without options AUDIT), without privilege, and when auditd does not run (no records
 * would come). close() is idempotent, wakes the poll through a pipe, waits for the loop and
 * releases both descriptors.
 */
export function createBsmAuditSource(opts: BsmAuditOptions): EventSource {
  return new BsmAuditSource(opts);
}

class BsmAuditSource implements EventSource {
  readonly #o: BsmAuditOptions & typeof defaults.bsmAudit;
  readonly #clock: Clock;
  readonly #channel: BatchChannel<FsEvent[]>;
  readonly #translator: BsmTranslator;
  #ffi: AuditPipeFfi | undefined;
  #fd = -1;
  #poll: FdPoll | undefined;
  #drops = 0n;
  #carry: Buffer = Buffer.alloc(0);
  readonly #once = new StartOnce();
  #closing = false;
  #loopDone: Promise<void> = Promise.resolve();
  #closeDone: Promise<void> | undefined;

  constructor(opts: BsmAuditOptions) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.#o = { ...defaults.bsmAudit, ...defined } as BsmAuditOptions & typeof defaults.bsmAudit;
    this.#clock = opts.clock ?? realClock;
    this.#channel = new BatchChannel(this.#o.maxQueuedBatches);
    this.#translator = new BsmTranslator({
      root: opts.root,
      isExcluded: opts.isExcluded,
      ...(opts.ignoreWriters ? { ignoreWriters: opts.ignoreWriters } : {}),
      ownPid: opts.ownPid ?? process.pid,
      maxOpenFiles: this.#o.maxOpenFiles,
    });
  }

  start(): Promise<void> {
    return this.#once.run(() => this.#start());
  }

  async #start(): Promise<void> {
    const platform = this.#o.platform ?? process.platform;
    if (platform !== 'freebsd')
      throw new WatchError(`bsm-audit runs on FreeBSD only: it reads ${AUDITPIPE_PATH}, the kernel audit's live record stream (this is ${platform})`, UNSUPPORTED);
    if (this.#closing) throw new WatchError('the source was closed before it started', 'CLOSED');
    const ffi = (this.#ffi = this.#o.ffi ?? loadAuditPipeFfi());
    try {
      this.#open(ffi);
    } catch (e) {
      this.#release();
      throw e;
    }
    this.#loopDone = this.#loop();
  }

  #open(ffi: AuditPipeFfi): void {
    const cond = Buffer.alloc(4);
    const c = ffi.auditon(A_GETCOND, cond, 4);
    if (c === -ENOSYS) throw new WatchError(`bsm-audit: this kernel has no audit support (auditon: ENOSYS); GENERIC kernels have options AUDIT`, UNSUPPORTED);
    if (c === -EPERM || c === -EACCES) throw new WatchError(`bsm-audit needs root to read ${AUDITPIPE_PATH} (auditon: ${errnoName(c)})`, UNSUPPORTED);
    if (c < 0) throw new WatchError(`bsm-audit: auditon(A_GETCOND) failed with ${errnoName(c)}`, UNSUPPORTED);
    if (this.#int(cond) !== AUC_AUDITING) throw new WatchError(`bsm-audit: the kernel audit is not running, and there are ${AUDITD_HINT}`, UNSUPPORTED);

    const fd = ffi.open(Buffer.from(`${AUDITPIPE_PATH}\0`), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
      const why =
        fd === -ENOENT ? 'the device is missing (a kernel without options AUDIT)' : fd === -EACCES || fd === -EPERM ? 'it needs root' : `open failed with ${errnoName(fd)}`;
      throw new WatchError(`bsm-audit cannot open ${AUDITPIPE_PATH}: ${why}`, UNSUPPORTED);
    }
    this.#fd = fd;
    const mask = classMask(SELECTED_CLASSES);
    this.#ioctl('SET_PRESELECT_MODE', this.#intBuf(PRESELECT_MODE_LOCAL));
    // au_mask_t { am_success, am_failure }: changes come from successful calls only.
    for (const which of ['SET_PRESELECT_FLAGS', 'SET_PRESELECT_NAFLAGS'] as const) this.#ioctl(which, Buffer.concat([this.#intBuf(mask), this.#intBuf(0)]));
    const max = Buffer.alloc(4);
    this.#ioctl('GET_QLIMIT_MAX', max);
    this.#ioctl('SET_QLIMIT', max);
    this.#drops = this.#readDrops();
    const poll = FdPoll.withPipe(ffi, fd, AUDITPIPE_PATH, O_NONBLOCK | O_CLOEXEC);
    if (typeof poll === 'number') throw new WatchError(`bsm-audit: pipe2 failed with ${errnoName(poll)}`, errnoName(poll));
    this.#poll = poll;
  }

  #ioctl(name: keyof typeof AUDITPIPE, arg: Buffer): void {
    const r = (this.#ffi as AuditPipeFfi).ioctl(this.#fd, AUDITPIPE[name], arg);
    if (r < 0) throw new WatchError(`bsm-audit: ioctl AUDITPIPE_${name} on ${AUDITPIPE_PATH} failed with ${errnoName(r)}`, errnoName(r));
  }

  #readDrops(): bigint {
    const b = Buffer.alloc(8);
    this.#ioctl('GET_DROPS', b);
    return endianness() === 'LE' ? b.readBigUInt64LE() : b.readBigUInt64BE();
  }

  #intBuf(v: number): Buffer {
    const b = Buffer.alloc(4);
    if (endianness() === 'LE') b.writeUInt32LE(v >>> 0);
    else b.writeUInt32BE(v >>> 0);
    return b;
  }

  #int(b: Buffer): number {
    return endianness() === 'LE' ? b.readInt32LE() : b.readInt32BE();
  }

  events(): AsyncIterable<FsEvent[]> {
    return this.#channel.iterable();
  }

  stats(): SourceStats {
    return { watches: this.#fd >= 0 ? 1 : 0, overflows: this.#translator.overflows };
  }

  close(): Promise<void> {
    this.#closeDone ??= this.#close();
    return this.#closeDone;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#poll?.wake();
    this.#channel.end();
    await this.#loopDone;
    this.#release();
  }

  #release(): void {
    if (this.#fd >= 0) this.#ffi?.close(this.#fd);
    this.#poll?.close();
    this.#fd = -1;
    this.#poll = undefined;
  }

  async #loop(): Promise<void> {
    const poll = this.#poll as FdPoll;
    try {
      while (!this.#closing) {
        const readable = await poll.wait(this.#o.pollIntervalMs);
        if (this.#closing) break;
        const batch: FsEvent[] = [];
        const now = this.#clock.now();
        if (readable) {
          const bytes = this.#readAvailable();
          const r = decodeBsm(bytes, { final: false });
          this.#carry = Buffer.from(bytes.subarray(r.rest));
          if (r.errors.length > 0) batch.push(this.#translator.overflow(now));
          batch.push(...this.#translator.translate(r.items, now));
        }
        const drops = this.#readDrops();
        if (drops > this.#drops && !batch.some((e) => e.kind === 'overflow' && e.path === '')) batch.push(this.#translator.overflow(now));
        this.#drops = drops;
        if (batch.length > 0) await this.#channel.push(batch);
      }
    } catch (err) {
      if (this.#closing) return;
      this.#channel.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** What the pipe holds now (whole records per read), after the carried-over start of a record. */
  #readAvailable(): Buffer {
    const ffi = this.#ffi as AuditPipeFfi;
    const buf = (this.#readBuf ??= Buffer.alloc(this.#o.readBufferBytes));
    const parts: Buffer[] = [this.#carry];
    let total = 0;
    while (total < this.#o.maxBatchBytes) {
      const n = ffi.read(this.#fd, buf, buf.length);
      if (n > 0) {
        parts.push(Buffer.from(buf.subarray(0, n)));
        total += n;
      } else if (n === -EINTR) continue;
      else if (n === -EAGAIN || n === 0) break;
      else throw new WatchError(`read from ${AUDITPIPE_PATH} failed with ${errnoName(n)}`, errnoName(n));
    }
    return Buffer.concat(parts);
  }
  #readBuf: Buffer | undefined;
}
