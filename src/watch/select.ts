import type { FsEvent } from '../core/event.js';
import type { WatcherName } from '../config/defaults.js';
import { UNSUPPORTED, WatchError, type EventSource, type SourceOptions, type SourceStats } from './source.js';

export type SourceName = Exclude<WatcherName, 'auto'>;

/** How each source is made; loaded on demand, so a source's FFI is bound only when it is used. */
const factories: Record<SourceName, () => Promise<(opts: SourceOptions) => EventSource>> = {
  inotify: async () => (await import('./inotify.js')).createInotifySource,
  fanotify: async () => (await import('./fanotify.js')).createFanotifySource,
  'linux-audit': async () => (await import('./linux-audit.js')).createLinuxAuditSource,
  'bsm-audit': async () => (await import('./bsm-audit.js')).createBsmAuditSource,
  poll: async () => (await import('./poll.js')).createPollSource,
};

/**
 * The sources `auto` tries, best first, on this platform. On Linux fanotify leads: one mark,
 * whatever the number of directories, and the writer's pid; it needs root and a filesystem it
 * can mark, and rejects UNSUPPORTED otherwise (then inotify runs, with the reason logged).
 */
export function autoOrder(platform: NodeJS.Platform = process.platform): SourceName[] {
  if (platform === 'linux') return ['fanotify', 'inotify'];
  if (platform === 'freebsd') return ['bsm-audit', 'poll'];
  return ['poll'];
}

/** Which source runs and why (for the log and status). */
export interface SourceChoice {
  name: SourceName;
  reason: string;
}

export interface SelectedSource extends EventSource {
  /** Set once start() resolved. */
  readonly choice: SourceChoice | undefined;
}

/**
 * The source `want` names, or for `auto` the best one that starts here (see autoOrder).
 *
 * Contract: as EventSource (source.ts). start() loads and starts the source; under `auto` a
 * source that rejects with code UNSUPPORTED is closed and the next is tried, and `choice.reason`
 * says why each was passed over. A forced source that cannot run rejects with its own message.
 * `events()` may be taken before start() and yields the started source's batches.
 */
export function createSelectedSource(want: WatcherName, opts: SourceOptions, make = factories, order = autoOrder()): SelectedSource {
  return new Selected(want, opts, make, order);
}

class Selected implements SelectedSource {
  #inner: EventSource | undefined;
  #choice: SourceChoice | undefined;
  #closing = false;
  #started: Promise<void> | undefined;

  constructor(
    private readonly want: WatcherName,
    private readonly opts: SourceOptions,
    private readonly make: typeof factories,
    private readonly order: SourceName[],
  ) {}

  get choice(): SourceChoice | undefined {
    return this.#choice;
  }

  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const order = this.want === 'auto' ? this.order : [this.want];
    const passed: string[] = [];
    for (const [i, name] of order.entries()) {
      if (this.#closing) throw new WatchError('the source was closed before it started', 'CLOSED');
      let source: EventSource | undefined;
      try {
        const create = await this.make[name]();
        // close() while the module loaded found no source to abort: do not start one for nobody.
        if (this.#closing) throw new WatchError('the source was closed before it started', 'CLOSED');
        source = create(this.opts);
        this.#inner = source;
        await source.start();
        const why = passed.length ? `, because ${passed.join('; ')}` : this.want === 'auto' ? ' (the best this machine supports)' : ' (--watcher)';
        this.#choice = { name, reason: `${name}${why}` };
        return;
      } catch (e) {
        this.#inner = undefined;
        await source?.close().catch(() => undefined);
        if (!(e instanceof WatchError) || e.code !== UNSUPPORTED || this.want !== 'auto') throw e;
        passed.push(`${name}: ${e.message}`);
        if (i === order.length - 1) throw new WatchError(`no change source can run here (${passed.join('; ')})`, UNSUPPORTED);
      }
    }
    throw new WatchError('no change source can run here', UNSUPPORTED);
  }

  events(): AsyncIterable<FsEvent[]> {
    return {
      [Symbol.asyncIterator]: () => {
        if (!this.#inner) throw new Error('events() is read after start() resolved');
        return this.#inner.events()[Symbol.asyncIterator]();
      },
    };
  }

  stats(): SourceStats {
    return this.#inner?.stats() ?? { watches: 0, overflows: 0 };
  }

  async close(): Promise<void> {
    this.#closing = true;
    // Closing the inner source first aborts a start() in the middle of its walk.
    await this.#inner?.close();
    await this.#started?.catch(() => undefined);
    await this.#inner?.close();
  }
}
