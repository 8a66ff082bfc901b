import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FsEvent } from '../core/event.js';
import { autoOrder, createSelectedSource, type SourceName } from './select.js';
import { UNSUPPORTED, WatchError, type EventSource, type SourceOptions, type SourceStats } from './source.js';

const opts: SourceOptions = { root: '/nowhere', isExcluded: () => false };
const batch = (path: string): FsEvent[] => [{ kind: 'create', path, isDir: false, time: 1 }];

/** What one fake source did, and how its start() behaves. */
interface Script {
  /** start(): resolve, reject with this error, or wait until released (or until close(), see below). */
  start?: 'ok' | Error | 'hang';
  /** When start() hangs: what close() makes of it (a real source aborts its walk): reject with CLOSED, resolve, or reject with this error. */
  onCloseDuringStart?: 'reject' | 'resolve' | Error;
  batches?: FsEvent[][];
  stats?: SourceStats;
  /** The factory's load (the dynamic import) waits for this. */
  load?: Promise<void>;
}

interface Log {
  loads: SourceName[];
  made: SourceName[];
  starts: SourceName[];
  closes: SourceName[];
  opts: SourceOptions[];
}

class FakeSource implements EventSource {
  #release: (() => void) | undefined;
  #fail: ((e: Error) => void) | undefined;
  constructor(
    private readonly name: SourceName,
    private readonly s: Script,
    private readonly log: Log,
  ) {}
  start(): Promise<void> {
    this.log.starts.push(this.name);
    const how = this.s.start ?? 'ok';
    if (how === 'ok') return Promise.resolve();
    if (how instanceof Error) return Promise.reject(how);
    return new Promise((resolve, reject) => {
      this.#release = resolve;
      this.#fail = reject;
    });
  }
  events(): AsyncIterable<FsEvent[]> {
    const batches = this.s.batches ?? [];
    return (async function* () {
      yield* batches;
    })();
  }
  close(): Promise<void> {
    this.log.closes.push(this.name);
    if (this.s.onCloseDuringStart === 'reject') this.#fail?.(new WatchError('closed during start', 'CLOSED'));
    if (this.s.onCloseDuringStart === 'resolve') this.#release?.();
    if (this.s.onCloseDuringStart instanceof Error) this.#fail?.(this.s.onCloseDuringStart);
    return Promise.resolve();
  }
  stats(): SourceStats {
    return this.s.stats ?? { watches: 0, overflows: 0 };
  }
}

/** A factories table for createSelectedSource: each source scripted, every call logged. */
function fakes(scripts: Partial<Record<SourceName, Script>>) {
  const log: Log = { loads: [], made: [], starts: [], closes: [], opts: [] };
  const make =
    (name: SourceName) =>
    async (): Promise<(o: SourceOptions) => EventSource> => {
      log.loads.push(name);
      const s = scripts[name];
      if (!s) throw new Error(`test: ${name} was not expected to load`);
      await s.load;
      return (o: SourceOptions) => {
        log.made.push(name);
        log.opts.push(o);
        return new FakeSource(name, s, log);
      };
    };
  const table: Record<SourceName, () => Promise<(o: SourceOptions) => EventSource>> = {
    inotify: make('inotify'),
    fanotify: make('fanotify'),
    'linux-audit': make('linux-audit'),
    'bsm-audit': make('bsm-audit'),
    poll: make('poll'),
  };
  return { table, log };
}

const unsupported = (why: string) => new WatchError(why, UNSUPPORTED);

async function collect(it: AsyncIterable<FsEvent[]>): Promise<FsEvent[][]> {
  const all: FsEvent[][] = [];
  for await (const b of it) all.push(b);
  return all;
}

// The fallback tests run auto over Linux's two sources, fanotify first.
const LINUX_WITH_FANOTIFY: SourceName[] = ['fanotify', 'inotify'];
// `auto` follows autoOrder(process.platform): pin the platform so the order is Linux's here.
const realPlatform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor;
beforeAll(() => Object.defineProperty(process, 'platform', { value: 'linux' }));
afterAll(() => Object.defineProperty(process, 'platform', realPlatform));

describe('autoOrder', () => {
  it.each<[NodeJS.Platform, SourceName[]]>([
    ['linux', LINUX_WITH_FANOTIFY],
    ['freebsd', ['bsm-audit', 'poll']],
    ['darwin', ['poll']],
    ['win32', ['poll']],
  ])('%s → %j', (platform, order) => {
    expect(autoOrder(platform)).toEqual(order);
  });
});

describe('createSelectedSource: auto', () => {
  it('takes the first source that starts and says it is the best here; the next is never loaded', async () => {
    const { table, log } = fakes({ fanotify: {} });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    expect(s.choice).toBeUndefined();
    await s.start();
    expect(s.choice).toEqual({ name: 'fanotify', reason: 'fanotify (the best this machine supports)' });
    expect(log.loads).toEqual(['fanotify']);
    expect(log.opts).toEqual([opts]);
    await s.close();
    expect(new Set(log.closes)).toEqual(new Set(['fanotify'])); // close() may close twice: sources' close() is idempotent
  });

  it('falls back on UNSUPPORTED: the passed-over source is closed and named with its message in choice.reason', async () => {
    const { table, log } = fakes({ fanotify: { start: unsupported('fanotify needs root (CAP_SYS_ADMIN)') }, inotify: {} });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    await s.start();
    expect(s.choice).toEqual({ name: 'inotify', reason: 'inotify, because fanotify: fanotify needs root (CAP_SYS_ADMIN)' });
    expect(log.starts).toEqual(['fanotify', 'inotify']);
    expect(log.closes).toEqual(['fanotify']);
  });

  it('a failure other than UNSUPPORTED is not a fallback: start() rejects with it and the next source is never tried', async () => {
    const boom = new WatchError('inotify watch limit reached', 'ENOSPC');
    const { table, log } = fakes({ fanotify: { start: boom } });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    await expect(s.start()).rejects.toBe(boom);
    expect(log.loads).toEqual(['fanotify']);
    expect(log.closes).toEqual(['fanotify']);
    expect(s.choice).toBeUndefined();
  });

  it('an error that is not a WatchError is not a fallback either, even with code UNSUPPORTED', async () => {
    const odd = Object.assign(new Error('odd'), { code: UNSUPPORTED });
    const { table, log } = fakes({ fanotify: { start: odd } });
    await expect(createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY).start()).rejects.toBe(odd);
    expect(log.loads).toEqual(['fanotify']);
  });

  it('a factory that fails to load rejects start() (no fallback)', async () => {
    const { table } = fakes({});
    await expect(createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY).start()).rejects.toThrow(/fanotify was not expected to load/);
  });

  it('when every source is UNSUPPORTED, start() rejects naming each and why', async () => {
    const { table, log } = fakes({ fanotify: { start: unsupported('no root') }, inotify: { start: unsupported('no inotify') } });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    const err = await s.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WatchError);
    expect((err as WatchError).code).toBe(UNSUPPORTED);
    expect((err as WatchError).message).toBe('no change source can run here (fanotify: no root; inotify: no inotify)');
    expect(log.closes).toEqual(['fanotify', 'inotify']);
    expect(s.choice).toBeUndefined();
  });
});

describe('createSelectedSource: a forced watcher', () => {
  it('runs the named source, and says so', async () => {
    const { table, log } = fakes({ inotify: {} });
    const s = createSelectedSource('inotify', opts, table);
    await s.start();
    expect(s.choice).toEqual({ name: 'inotify', reason: 'inotify (--watcher)' });
    expect(log.loads).toEqual(['inotify']);
  });

  it('that is UNSUPPORTED rejects with its own message; nothing else is tried', async () => {
    const own = unsupported('fanotify cannot watch /x: its filesystem has no fsid');
    const { table, log } = fakes({ fanotify: { start: own } });
    const s = createSelectedSource('fanotify', opts, table);
    await expect(s.start()).rejects.toBe(own);
    expect(log.loads).toEqual(['fanotify']);
    expect(log.closes).toEqual(['fanotify']);
  });
});

describe('createSelectedSource: start, events, stats, close', () => {
  it('start() twice loads and starts once', async () => {
    const { table, log } = fakes({ fanotify: {} });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    const a = s.start();
    const b = s.start();
    expect(b).toBe(a);
    await a;
    expect(log.starts).toEqual(['fanotify']);
  });

  it('events() taken before start() yields the started source’s batches', async () => {
    const { table } = fakes({ fanotify: { start: unsupported('no') }, inotify: { batches: [batch('a'), batch('b')] } });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    const events = s.events();
    await s.start();
    expect(await collect(events)).toEqual([batch('a'), batch('b')]);
  });

  it('reading events() before start() resolved fails loudly rather than yielding nothing', async () => {
    const { table } = fakes({ fanotify: {} });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    await expect(collect(s.events())).rejects.toThrow(/after start\(\) resolved/);
  });

  it('stats() are zero before start and the source’s after', async () => {
    const { table } = fakes({ fanotify: { stats: { watches: 1, overflows: 3 } } });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    expect(s.stats()).toEqual({ watches: 0, overflows: 0 });
    await s.start();
    expect(s.stats()).toEqual({ watches: 1, overflows: 3 });
  });

  it('close() before start(): start() rejects with CLOSED and loads nothing', async () => {
    const { table, log } = fakes({ fanotify: {} });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    await s.close();
    await expect(s.start()).rejects.toMatchObject({ name: 'WatchError', code: 'CLOSED' });
    expect(log.loads).toEqual([]);
  });

  it('close() during a slow start() closes the source, which aborts it: start() rejects, nothing is left open', async () => {
    const { table, log } = fakes({ fanotify: { start: 'hang', onCloseDuringStart: 'reject' } });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    const started = s.start().then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await until(() => log.starts.length === 1);
    await s.close();
    const r = await started;
    expect(r).toBeInstanceOf(WatchError);
    expect((r as WatchError).code).toBe('CLOSED');
    expect(log.closes.length).toBeGreaterThanOrEqual(1);
    expect(new Set(log.closes)).toEqual(new Set(['fanotify']));
    expect(log.loads).toEqual(['fanotify']); // an aborted start is not UNSUPPORTED: inotify is not tried
    expect(s.choice).toBeUndefined();
  });

  it('close() during a start() that then fails UNSUPPORTED under auto: the next source is not tried', async () => {
    const { table, log } = fakes({ fanotify: { start: 'hang', onCloseDuringStart: unsupported('late') }, inotify: {} });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    const started = s.start().catch((e: unknown) => e);
    await until(() => log.starts.length === 1);
    await s.close();
    expect(await started).toMatchObject({ name: 'WatchError', code: 'CLOSED' });
    expect(log.loads).toEqual(['fanotify']);
    expect(new Set(log.closes)).toEqual(new Set(['fanotify']));
  });

  it('close() during a start() that completes anyway: start() resolves and the source ends up closed', async () => {
    const { table, log } = fakes({ fanotify: { start: 'hang', onCloseDuringStart: 'resolve', batches: [batch('never')] } });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    const started = s.start();
    await until(() => log.starts.length === 1);
    await s.close();
    await expect(started).resolves.toBeUndefined();
    expect(log.closes.at(-1)).toBe('fanotify');
  });

  it('close() while the source’s module still loads: the source is never started and start() rejects with CLOSED', async () => {
    let loaded: () => void = () => undefined;
    const load = new Promise<void>((resolve) => (loaded = resolve));
    const { table, log } = fakes({ fanotify: { load } });
    const s = createSelectedSource('auto', opts, table, LINUX_WITH_FANOTIFY);
    const started = s.start().then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await until(() => log.loads.length === 1);
    const closed = s.close();
    loaded();
    await closed;
    const r = await started;
    expect(r).toBeInstanceOf(WatchError);
    expect((r as WatchError).code).toBe('CLOSED');
    expect(log.starts).toEqual([]);
  });
});

/** Waits (on the microtask/macrotask queue, no timers) until `cond` holds; fails after 1000 turns. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setImmediate(r));
  }
  throw new Error('test: condition never held');
}
