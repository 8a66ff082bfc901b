import { realClock, type Clock, type TimerHandle } from '../core/clock.js';
import { defaults } from '../config/defaults.js';
import type { FsEvent } from '../core/event.js';
import { BatchChannel } from './batch-channel.js';
import { diffSnapshots, sameObject, type Snapshot } from './poll-diff.js';
import { rootGone, scanTree, type ScanFs, type ScanOptions, type ScanResult } from './poll-scan.js';
import { WatchError, type EventSource, type SourceOptions, type SourceStats } from './source.js';
import { StartOnce } from './start-once.js';

/** Tunables of the poll source (defaults, units and reasons: config/defaults.ts `poll`). */
export type PollTunables = Partial<Record<keyof typeof defaults.poll, number>> & {
  /** Collaborators (tests inject failures and fake trees through them). */
  scanFs?: ScanFs;
  scan?: (o: ScanOptions) => Promise<ScanResult>;
};

export type PollSourceOptions = SourceOptions & PollTunables;

/**
 * An EventSource that compares lstat snapshots of the tree (see source.ts for the contract
 * every source keeps): the fallback for file systems without change notification.
 *
 * `start()` takes the first snapshot (poll-scan.ts) and resolves; then a pass starts every
 * `intervalMs` (Clock timers only; a pass longer than that is followed at once, passes never
 * overlap), and its differences (poll-diff.ts) are queued for the one reader of `events()` in
 * batches of at most `maxBatchEvents`; a slow reader holds the next pass back. Nothing is lost
 * between passes: whatever changed is in the next diff. It cannot tell a finished write from
 * one in progress (`modify` has no `closed`) and knows no writer. Errors: the root deleted,
 * moved away or replaced (another inode) → WatchError ROOT_GONE; a directory that cannot be
 * listed or an entry that cannot be lstat'ed (EACCES, EIO) → WatchError naming it; from
 * start() or, at runtime, thrown from the iterator after the events before it. `close()` is
 * idempotent, stops the timer, aborts a pass in progress and ends the iterator.
 */
export function createPollSource(opts: PollSourceOptions): EventSource {
  return new PollEventSource(opts);
}

class PollEventSource implements EventSource {
  readonly #o: PollSourceOptions & typeof defaults.poll;
  readonly #clock: Clock;
  readonly #channel: BatchChannel<FsEvent[]>;
  readonly #scan: (o: ScanOptions) => Promise<ScanResult>;
  #snapshot: Snapshot | undefined;
  #dirs = 0;
  #timer: TimerHandle | undefined;
  readonly #once = new StartOnce();
  #closing = false;
  #passDone: Promise<void> = Promise.resolve();
  #closeDone: Promise<void> | undefined;

  constructor(opts: PollSourceOptions) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.#o = { ...defaults.poll, ...defined } as PollSourceOptions & typeof defaults.poll;
    if (!(this.#o.intervalMs >= 0)) throw new RangeError(`intervalMs must be >= 0, got ${this.#o.intervalMs}`);
    if (!(this.#o.maxBatchEvents >= 1)) throw new RangeError(`maxBatchEvents must be >= 1, got ${this.#o.maxBatchEvents}`);
    this.#clock = opts.clock ?? realClock;
    this.#channel = new BatchChannel(this.#o.maxQueuedBatches);
    this.#scan = opts.scan ?? scanTree;
  }

  start(): Promise<void> {
    return this.#once.run(() => this.#start());
  }

  async #start(): Promise<void> {
    if (this.#closing) throw new WatchError('the source was closed before it started', 'CLOSED');
    const began = this.#clock.now();
    const first = await this.#pass();
    if (this.#closing) throw new WatchError('the source was closed while starting', 'CLOSED');
    this.#snapshot = first.snapshot;
    this.#dirs = first.dirs;
    this.#schedule(began);
  }

  events(): AsyncIterable<FsEvent[]> {
    return this.#channel.iterable();
  }

  stats(): SourceStats {
    return { watches: this.#dirs, overflows: 0 };
  }

  close(): Promise<void> {
    this.#closeDone ??= this.#close();
    return this.#closeDone;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#channel.end(); // also releases a pass blocked on a full channel
    await this.#once.settled;
    await this.#passDone;
  }

  /** The next pass, `intervalMs` after the start of the last one (at once if that is past). */
  #schedule(lastBegan: number): void {
    if (this.#closing) return;
    const wait = Math.max(0, lastBegan + this.#o.intervalMs - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#passDone = this.#next();
    }, wait);
  }

  async #next(): Promise<void> {
    const began = this.#clock.now();
    try {
      const { snapshot, dirs } = await this.#pass();
      const prev = this.#snapshot as Snapshot;
      const rootBefore = prev.get('');
      const rootNow = snapshot.get('');
      if (!rootBefore || !rootNow || !sameObject(rootBefore, rootNow)) throw rootGone(this.#o.root);
      const events = diffSnapshots(prev, snapshot, this.#clock.now());
      this.#snapshot = snapshot;
      this.#dirs = dirs;
      for (let i = 0; i < events.length && !this.#closing; i += this.#o.maxBatchEvents) {
        await this.#channel.push(events.slice(i, i + this.#o.maxBatchEvents));
      }
    } catch (err) {
      if (this.#closing) return;
      this.#channel.fail(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    this.#schedule(began);
  }

  #pass(): Promise<ScanResult> {
    return this.#scan({
      root: this.#o.root,
      isExcluded: this.#o.isExcluded,
      sliceEntries: this.#o.sliceEntries,
      ...(this.#o.scanFs ? { fs: this.#o.scanFs } : {}),
      abort: () => (this.#closing ? new WatchError('the source was closed', 'CLOSED') : undefined),
    });
  }
}
