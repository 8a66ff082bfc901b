import { lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { constants as osConstants, endianness } from 'node:os';
import { realClock, type Clock } from '../core/clock.js';
import { defaults } from '../config/defaults.js';
import type { FsEvent } from '../core/event.js';
import { BatchChannel } from './batch-channel.js';
import { FanotifyTranslator, type DirResolver, type Resolved } from './fanotify-translate.js';
import { UNSUPPORTED, WatchError, type EventSource, type SourceOptions, type SourceStats } from './source.js';
import { StartOnce } from './start-once.js';
import { toBytes } from '../core/path.js';
import { awaitsClose } from './awaits-close.js';
import { errnoName } from './sys/errno.js';
import { FdPoll } from './sys/fd-poll.js';
import { loadFanotifyFfi, type FanotifyFfi } from './sys/fanotify-ffi.js';
import {
  FAN_ATTRIB,
  FAN_CLASS_NOTIF,
  FAN_CLOEXEC,
  FAN_CLOSE_WRITE,
  FAN_CREATE,
  FAN_DELETE,
  FAN_MARK_ADD,
  FAN_MARK_FILESYSTEM,
  FAN_MODIFY,
  FAN_MOVED_FROM,
  FAN_MOVED_TO,
  FAN_NONBLOCK,
  FAN_ONDIR,
  FAN_RENAME,
  FAN_REPORT_DFID_NAME,
  METADATA_BYTES,
  O_CLOEXEC,
  O_DIRECTORY,
  O_PATH,
  O_RDONLY,
  parseFanotifyEvents,
  type DirHandle,
  type FanotifyRecord,
} from './sys/fanotify-event.js';

const { EPERM, EINVAL, ENODEV, EXDEV, ENOSYS, ESTALE, ENOENT, ENOMEM, EAGAIN, EINTR } = osConstants.errno;
const AT_FDCWD = -100;

/** Tunables of the fanotify source (defaults, units and reasons: config/defaults.ts `fanotify`). */
export type FanotifyTunables = Partial<Record<keyof typeof defaults.fanotify, number>> & { ffi?: FanotifyFfi };

export interface FanotifySource extends EventSource {
  /** True when renames come as one FAN_RENAME event (Linux >= 5.17), false on the paired-less fallback. */
  readonly pairsMoves: boolean;
  /** Handles that no longer resolved and whose path was never seen (see fanotify-translate.ts). */
  readonly staleHandles: number;
}

/**
 * An EventSource on Linux fanotify (see source.ts for the contract every source keeps).
 *
 * One FAN_MARK_FILESYSTEM mark on the filesystem that holds the root, with FAN_REPORT_DFID_NAME
 * (Linux >= 5.9): start-up is one system call whatever the size of the tree, and new directories
 * need no watch, so nothing can be missed between a mkdir and its watch. Every event on that
 * filesystem reaches the source, so each names its directory by handle, which is resolved to a
 * path (open_by_handle_at through an O_PATH fd on the root, then readlink of /proc/self/fd/N;
 * cached, the cache dropped on any directory rename) and filtered exactly to the tree.
 * FAN_RENAME (Linux >= 5.17) gives moves as one event; older kernels get FAN_MOVED_FROM/TO,
 * which carry no cookie, reported as delete + create. FAN_Q_OVERFLOW → `overflow ''`. Reports
 * the writer's pid (fanotify has no uid); drops the own process's and `ignoreWriters.pids`'.
 *
 * start() rejects with code UNSUPPORTED (so `auto` takes inotify) when not root (EPERM), on
 * kernels without DFID_NAME (EINVAL), on filesystems without an fsid (ENODEV: some tmpfs, FUSE,
 * overlayfs) or btrfs subvolumes (EXDEV), and when a filesystem is mounted below the root (the
 * mark would not see it). Needs CAP_SYS_ADMIN and CAP_DAC_READ_SEARCH (root).
 */
export function createFanotifySource(opts: SourceOptions & FanotifyTunables): FanotifySource {
  return new FanotifyEventSource(opts);
}

class FanotifyEventSource implements FanotifySource {
  readonly #o: SourceOptions & typeof defaults.fanotify;
  readonly #ffi: FanotifyFfi | undefined;
  readonly #ffiError: unknown;
  readonly #clock: Clock;
  readonly #channel: BatchChannel<FsEvent[]>;
  #fd = -1;
  #rootFd = -1;
  #poll: FdPoll | undefined;
  #root = '';
  #translator: FanotifyTranslator | undefined;
  #resolver: HandleResolver | undefined;
  #pairsMoves = false;
  readonly #once = new StartOnce();
  #closing = false;
  #loopDone: Promise<void> = Promise.resolve();
  #closeDone: Promise<void> | undefined;
  #readBuf: Buffer | undefined;

  constructor(opts: SourceOptions & FanotifyTunables) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.#o = { ...defaults.fanotify, ...defined } as SourceOptions & typeof defaults.fanotify;
    this.#clock = opts.clock ?? realClock;
    this.#channel = new BatchChannel(this.#o.maxQueuedBatches);
    try {
      this.#ffi = opts.ffi ?? (process.platform === 'linux' ? loadFanotifyFfi() : undefined);
    } catch (e) {
      this.#ffiError = e;
    }
  }

  get pairsMoves(): boolean {
    return this.#pairsMoves;
  }

  get staleHandles(): number {
    return this.#translator?.stale ?? 0;
  }

  start(): Promise<void> {
    return this.#once.run(() => this.#start());
  }

  async #start(): Promise<void> {
    const ffi = this.#ffi;
    if (!ffi) throw new WatchError(`fanotify needs Linux${this.#ffiError ? ` (${(this.#ffiError as Error).message})` : ''}`, UNSUPPORTED);
    if (this.#closing) throw new WatchError('the source was closed before it started', 'CLOSED');
    try {
      this.#root = realpathSync(Buffer.from(this.#o.root), { encoding: 'buffer' }).toString('latin1');
    } catch (e) {
      throw new WatchError(`cannot watch ${this.#o.root}: ${(e as Error).message}`, (e as NodeJS.ErrnoException).code);
    }
    const below = mountsBelow(this.#root);
    if (below.length > 0)
      throw new WatchError(`a filesystem is mounted below the source (${below.slice(0, 3).map(show).join(', ')}): a fanotify filesystem mark does not see it`, UNSUPPORTED);
    try {
      this.#open(ffi);
    } catch (e) {
      this.#release();
      throw e;
    }
    this.#resolver = new HandleResolver(ffi, this.#rootFd, this.#o.handleCacheEntries);
    const rootSlash = Buffer.from(this.#root === '/' ? '/' : `${this.#root}/`, 'latin1'); // #root is a latin1 byte string
    this.#translator = new FanotifyTranslator({
      root: this.#root,
      isExcluded: this.#o.isExcluded,
      resolver: this.#resolver,
      ownPid: process.pid,
      awaitsClose: (rel) => awaitsClose(Buffer.concat([rootSlash, toBytes(rel)])),
      ...(this.#o.ignoreWriters ? { ignoreWriters: this.#o.ignoreWriters } : {}),
    });
    this.#loopDone = this.#loop();
  }

  #open(ffi: FanotifyFfi): void {
    const fd = ffi.fanotifyInit(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (-fd === EPERM) throw new WatchError('fanotify needs root (CAP_SYS_ADMIN)', UNSUPPORTED);
      if (-fd === EINVAL || -fd === ENOSYS) throw new WatchError('this kernel has no fanotify with FAN_REPORT_DFID_NAME (Linux >= 5.9)', UNSUPPORTED);
      throw new WatchError(`fanotify_init: ${errnoName(fd)}`, errnoName(fd));
    }
    this.#fd = fd;
    const rootZ = Buffer.concat([Buffer.from(this.#root, 'latin1'), Buffer.from([0])]);
    const rootFd = ffi.open(rootZ, O_RDONLY | O_DIRECTORY | O_CLOEXEC); // open_by_handle_at refuses an O_PATH mount fd (EBADF)
    if (rootFd < 0) throw new WatchError(`cannot open ${show(this.#root)}: ${errnoName(rootFd)}`, errnoName(rootFd));
    this.#rootFd = rootFd;
    const base = FAN_CREATE | FAN_DELETE | FAN_MODIFY | FAN_CLOSE_WRITE | FAN_ATTRIB | FAN_ONDIR;
    let r = ffi.fanotifyMark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, BigInt(base | FAN_RENAME), AT_FDCWD, rootZ);
    this.#pairsMoves = r >= 0;
    if (r === -EINVAL) r = ffi.fanotifyMark(fd, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, BigInt(base | FAN_MOVED_FROM | FAN_MOVED_TO), AT_FDCWD, rootZ);
    if (r < 0) {
      const why: Record<number, string> = {
        [ENODEV]: 'its filesystem has no fsid (some tmpfs, FUSE and overlayfs)',
        [EXDEV]: 'it lies on a btrfs subvolume, which a filesystem mark cannot cover',
        [EPERM]: 'a filesystem mark needs root (CAP_SYS_ADMIN)',
        [EINVAL]: 'this kernel refuses the filesystem mark with these events',
      };
      const reason = why[-r];
      if (reason) throw new WatchError(`fanotify cannot watch ${show(this.#root)}: ${reason}`, UNSUPPORTED);
      throw new WatchError(`fanotify_mark(${show(this.#root)}): ${errnoName(r)}`, errnoName(r));
    }
    const poll = FdPoll.withEventfd(ffi, fd, 'the fanotify fd');
    if (typeof poll === 'number') throw new WatchError(`eventfd: ${errnoName(poll)}`, errnoName(poll));
    this.#poll = poll;
  }

  events(): AsyncIterable<FsEvent[]> {
    return this.#channel.iterable();
  }

  stats(): SourceStats {
    return { watches: this.#fd >= 0 ? 1 : 0, overflows: this.#translator?.overflows ?? 0 };
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
    for (const fd of [this.#fd, this.#rootFd]) if (fd >= 0) this.#ffi?.close(fd);
    this.#poll?.close();
    this.#fd = this.#rootFd = -1;
    this.#poll = undefined;
  }

  async #loop(): Promise<void> {
    const translator = this.#translator as FanotifyTranslator;
    const resolver = this.#resolver as HandleResolver;
    const poll = this.#poll as FdPoll;
    try {
      while (!this.#closing) {
        if (!(await poll.wait(this.#o.pollIntervalMs))) continue;
        const records = this.#readAvailable();
        if (this.#closing) break;
        const batch: FsEvent[] = [];
        try {
          translator.translate(records, this.#clock.now(), batch);
          // A directory renamed anywhere may have been one of the root's ancestors.
          if (resolver.takeInvalidated() && resolver.rootPath() !== this.#root)
            throw new WatchError(`the watched directory ${show(this.#root)} was deleted or moved away`, 'ROOT_GONE');
        } finally {
          if (batch.length > 0) await this.#channel.push(batch);
        }
      }
    } catch (err) {
      if (this.#closing) return;
      this.#channel.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  #readAvailable(): FanotifyRecord[] {
    const ffi = this.#ffi as FanotifyFfi;
    const buf = (this.#readBuf ??= Buffer.alloc(Math.max(this.#o.readBufferBytes, 4096 + METADATA_BYTES)));
    const le = endianness() === 'LE';
    const records: FanotifyRecord[] = [];
    let total = 0;
    while (total < this.#o.maxBatchBytes) {
      const n = ffi.read(this.#fd, buf, buf.length);
      if (n > 0) {
        for (const r of parseFanotifyEvents(buf, n, le)) records.push(r);
        total += n;
      } else if (n === -EINTR) {
        continue;
      } else if (n === -EAGAIN || n === 0) {
        break;
      } else {
        throw new WatchError(`read from the fanotify fd: ${errnoName(n)}`, errnoName(n));
      }
    }
    return records;
  }
}

/**
 * Directory handle → path: open_by_handle_at through the root's O_PATH fd, then the fd's path
 * from /proc/self/fd. Paths are cached (at most `cap`, oldest dropped first) and the cache is
 * dropped on any directory rename; the last path each handle had is kept (as bounded) so that a
 * handle that went stale can still name the directory it was.
 */
const UNRESOLVED = Symbol('unresolved');

class HandleResolver implements DirResolver {
  readonly #cache = new Map<string, string>();
  readonly #lastKnown = new Map<string, string>();
  #invalidated = false;

  constructor(
    private readonly ffi: FanotifyFfi,
    private readonly mountFd: number,
    private readonly cap: number,
  ) {}

  resolve(dir: DirHandle): Resolved {
    const hit = this.#cache.get(dir.key);
    if (hit !== undefined) return { path: hit };
    const path = this.#pathOf(dir.handle);
    if (path === UNRESOLVED) return { unresolved: true };
    if (path === undefined) {
      const lastKnown = this.#lastKnown.get(dir.key);
      return lastKnown === undefined ? { stale: true } : { stale: true, lastKnown };
    }
    remember(this.#cache, dir.key, path, this.cap);
    remember(this.#lastKnown, dir.key, path, this.cap);
    return { path };
  }

  invalidate(): void {
    this.#cache.clear();
    this.#invalidated = true;
  }

  takeInvalidated(): boolean {
    const was = this.#invalidated;
    this.#invalidated = false;
    return was;
  }

  /** The root directory's path now (it may have moved), or undefined when it was deleted. */
  rootPath(): string | undefined {
    return this.#fdPath(this.mountFd);
  }

  /** The handle's path; undefined when its directory is gone; UNRESOLVED when the kernel cannot tell now. */
  #pathOf(handle: Buffer): string | undefined | typeof UNRESOLVED {
    const fd = this.ffi.openByHandleAt(this.mountFd, handle, O_PATH | O_CLOEXEC);
    if (fd < 0) {
      if (-fd === ESTALE || -fd === ENOENT) return undefined;
      if (-fd === ENOMEM) return UNRESOLVED;
      throw new WatchError(`open_by_handle_at: ${errnoName(fd)}${-fd === EPERM ? ' (needs CAP_DAC_READ_SEARCH: run as root)' : ''}`, errnoName(fd));
    }
    try {
      return this.#fdPath(fd);
    } finally {
      this.ffi.close(fd);
    }
  }

  #fdPath(fd: number): string | undefined {
    const p = readlinkSync(`/proc/self/fd/${fd}`, { encoding: 'buffer' }).toString('latin1');
    // An unlinked directory reads as "<path> (deleted)"; a real name may end so too: ask the disk.
    if (p.endsWith(' (deleted)') && lstatSync(Buffer.from(p, 'latin1'), { throwIfNoEntry: false }) === undefined) return undefined;
    return p;
  }
}

function remember(m: Map<string, string>, k: string, v: string, cap: number): void {
  m.delete(k);
  m.set(k, v);
  if (m.size > cap) m.delete(m.keys().next().value as string);
}

/** Mount points strictly below `root` (latin1 byte string), from /proc/self/mountinfo. */
function mountsBelow(root: string): string[] {
  let text: string;
  try {
    text = readFileSync('/proc/self/mountinfo', 'latin1');
  } catch {
    return [];
  }
  const prefix = root === '/' ? '/' : root + '/';
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (field === undefined) continue;
    const point = field.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    if (point.startsWith(prefix) && point !== root) out.push(point);
  }
  return out;
}

const show = (latin1: string): string => Buffer.from(latin1, 'latin1').toString('utf8');
