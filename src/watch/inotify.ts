import { endianness } from 'node:os';
import { realClock, type Clock } from '../core/clock.js';
import { defaults } from '../config/defaults.js';
import { displayPath, type RelPath } from '../core/path.js';
import type { FsEvent } from '../core/event.js';
import { BatchChannel } from './batch-channel.js';
import type { ReaddirFns } from './dir-walk.js';
import { hasUnpairedMoveFrom } from './inotify-moves.js';
import { instanceLimitMessage, readInotifyLimit, watchLimitMessage } from './inotify-limits.js';
import { InotifyTranslator } from './inotify-translate.js';
import { WatchError, type EventSource, type SourceOptions, type SourceStats } from './source.js';
import { StartOnce } from './start-once.js';
import { EAGAIN, EINTR, EMFILE, ENOSPC, errnoName } from './sys/errno.js';
import { FdPoll } from './sys/fd-poll.js';
import { loadInotifyFfi, type InotifyFfi } from './sys/inotify-ffi.js';
import { IN_CLOEXEC, IN_NONBLOCK, MIN_READ_BYTES, parseInotifyEvents, type InotifyRecord } from './sys/inotify-event.js';
import { SysCallError, WatchSet } from './watch-set.js';

/** Tunables of the inotify source (defaults, units and reasons: config/defaults.ts `inotify`). */
export type InotifyTunables = Partial<Record<keyof typeof defaults.inotify, number>> & {
  /** Collaborators (tests inject failures through them). */
  ffi?: InotifyFfi;
  readdir?: ReaddirFns;
};

export type InotifySourceOptions = SourceOptions & InotifyTunables;

/** The inotify source, plus introspection for status output and tests. */
export interface InotifySource extends EventSource {
  /** Every watched directory (root '' first). */
  watchedPaths(): RelPath[];
}

/**
 * An EventSource on Linux inotify (see source.ts for the contract every source keeps).
 *
 * One watch per directory, set by `start()` with a time-sliced synchronous walk (never following
 * symlinks, skipping `isExcluded(dir, true)`). A single loop polls the inotify fd on the worker
 * pool (never blocking the main thread), reads everything available without blocking,
 * translates it (inotify-translate.ts) and queues one batch per read for the one reader of
 * `events()`. Errors: start() rejects with WatchError (ENOSPC → names fs.inotify.max_user_watches
 * with its value, the number of directories and the fix; EMFILE → max_user_instances); at
 * runtime the same errors and a deleted/moved root are thrown from the iterator, after the
 * events that preceded them. `close()` is idempotent, wakes the poll, waits for the loop,
 * releases both fds and ends the iterator.
 */
export function createInotifySource(opts: InotifySourceOptions): InotifySource {
  return new InotifyEventSource(opts);
}

class InotifyEventSource implements InotifySource {
  readonly #o: InotifySourceOptions & typeof defaults.inotify;
  readonly #ffi: InotifyFfi;
  readonly #clock: Clock;
  readonly #channel: BatchChannel<FsEvent[]>;
  #fd = -1;
  #poll: FdPoll | undefined;
  #watches: WatchSet | undefined;
  #translator: InotifyTranslator | undefined;
  readonly #once = new StartOnce();
  #closing = false;
  #loopDone: Promise<void> = Promise.resolve();
  #closeDone: Promise<void> | undefined;

  constructor(opts: InotifySourceOptions) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.#o = { ...defaults.inotify, ...defined } as InotifySourceOptions & typeof defaults.inotify;
    if (this.#o.readBufferBytes < MIN_READ_BYTES) throw new RangeError(`readBufferBytes must be >= ${MIN_READ_BYTES}`);
    this.#ffi = opts.ffi ?? loadInotifyFfi();
    this.#clock = opts.clock ?? realClock;
    this.#channel = new BatchChannel(this.#o.maxQueuedBatches);
  }

  start(): Promise<void> {
    return this.#once.run(() => this.#start());
  }

  async #start(): Promise<void> {
    if (this.#closing) throw new WatchError('the source was closed before it started', 'CLOSED');
    const fd = this.#ffi.inotifyInit1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
      if (-fd === EMFILE) throw new WatchError(instanceLimitMessage(readInotifyLimit('max_user_instances')), 'EMFILE');
      throw new WatchError(`inotify_init1: ${errnoName(fd)}`, errnoName(fd));
    }
    this.#fd = fd;
    const poll = FdPoll.withEventfd(this.#ffi, fd, 'the inotify fd');
    if (typeof poll === 'number') {
      this.#release();
      throw new WatchError(`eventfd: ${errnoName(poll)}`, errnoName(poll));
    }
    this.#poll = poll;
    const watches = new WatchSet({
      ffi: this.#ffi,
      fd,
      root: this.#o.root,
      isExcluded: this.#o.isExcluded,
      sliceDirs: this.#o.walkSliceDirs,
      readdir: this.#o.readdir,
      abort: () => (this.#closing ? new WatchError('the source was closed while starting', 'CLOSED') : undefined),
    });
    this.#watches = watches;
    this.#translator = new InotifyTranslator(watches, this.#o.isExcluded, this.#o.root);
    try {
      await watches.watchRoot();
    } catch (err) {
      const mapped = await this.#toWatchError(err);
      this.#release();
      throw mapped;
    }
    if (this.#closing) {
      this.#release();
      throw new WatchError('the source was closed while starting', 'CLOSED');
    }
    this.#loopDone = this.#loop();
  }

  events(): AsyncIterable<FsEvent[]> {
    return this.#channel.iterable();
  }

  stats(): SourceStats {
    return { watches: this.#watches?.tree.size ?? 0, overflows: this.#translator?.overflows ?? 0 };
  }

  watchedPaths(): RelPath[] {
    return this.#watches?.tree.paths() ?? [];
  }

  close(): Promise<void> {
    this.#closeDone ??= this.#close();
    return this.#closeDone;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#poll?.wake();
    this.#channel.end(); // also releases a loop blocked on a full channel
    await this.#once.settled;
    await this.#loopDone;
    this.#release();
  }

  #release(): void {
    if (this.#fd >= 0) this.#ffi.close(this.#fd);
    this.#poll?.close();
    this.#fd = -1;
    this.#poll = undefined;
  }

  async #loop(): Promise<void> {
    const translator = this.#translator as InotifyTranslator;
    const poll = this.#poll as FdPoll;
    try {
      while (!this.#closing) {
        if (!(await poll.wait(this.#o.pollIntervalMs))) continue;
        let records = this.#readAvailable();
        const deadline = this.#clock.now() + this.#o.movePairMs;
        while (!this.#closing && hasUnpairedMoveFrom(records)) {
          const left = deadline - this.#clock.now();
          if (left <= 0) break;
          if (await poll.wait(Math.ceil(left))) records = records.concat(this.#readAvailable());
        }
        if (this.#closing) break;
        const batch: FsEvent[] = [];
        try {
          await translator.translate(records, this.#clock.now(), batch);
        } finally {
          // Events translated before a failure are delivered before the error.
          if (batch.length > 0) await this.#channel.push(batch);
        }
      }
    } catch (err) {
      if (this.#closing) return;
      this.#channel.fail(await this.#toWatchError(err));
    }
  }

  /** Reads what the kernel has queued, without blocking, up to maxBatchBytes. */
  #readAvailable(): InotifyRecord[] {
    const buf = (this.#readBuf ??= Buffer.alloc(this.#o.readBufferBytes));
    const le = endianness() === 'LE';
    const records: InotifyRecord[] = [];
    let total = 0;
    while (total < this.#o.maxBatchBytes) {
      const n = this.#ffi.read(this.#fd, buf, buf.length);
      if (n > 0) {
        for (const r of parseInotifyEvents(buf, n, le)) records.push(r);
        total += n;
      } else if (n === -EINTR) {
        continue;
      } else if (n === -EAGAIN || n === 0) {
        break;
      } else {
        throw new SysCallError('read', -n, '');
      }
    }
    return records;
  }
  #readBuf: Buffer | undefined;

  async #toWatchError(err: unknown): Promise<Error> {
    if (err instanceof WatchError || !(err instanceof SysCallError || isErrnoException(err))) {
      return err instanceof Error ? err : new Error(String(err));
    }
    if (err instanceof SysCallError && err.errno === ENOSPC) {
      let needed: number | undefined;
      try {
        needed = await this.#watches?.countWatchable();
      } catch {
        needed = undefined;
      }
      return new WatchError(
        watchLimitMessage({
          root: this.#o.root,
          limit: readInotifyLimit('max_user_watches'),
          needed,
          at: err.path === '' ? undefined : displayPath(err.path),
        }),
        'ENOSPC',
      );
    }
    if (err instanceof SysCallError) {
      const where = err.path === '' ? this.#o.root : `${this.#o.root}/${displayPath(err.path)}`;
      return new WatchError(`cannot watch ${where}: ${err.call} failed with ${errnoName(err.errno)}`, errnoName(err.errno));
    }
    return new WatchError(`cannot list a directory below ${this.#o.root}: ${err.message}`, err.code);
  }
}

function isErrnoException(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string';
}
