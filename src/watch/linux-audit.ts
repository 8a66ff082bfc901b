import { lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { realClock, type Clock, type TimerHandle } from '../core/clock.js';
import { defaults } from '../config/defaults.js';
import type { FsEvent } from '../core/event.js';
import { joinBytes, joinRel, type RelPath } from '../core/path.js';
import { AuditAssembler, type Assembled } from './audit-assemble.js';
import { DirIndex, dirId } from './audit-dir-index.js';
import { parseAuditRecord } from './audit-record.js';
import { translateGroup, type TranslateContext } from './audit-translate.js';
import { BatchChannel } from './batch-channel.js';
import { walkDirs } from './dir-walk.js';
import { UNSUPPORTED, WatchError, type EventSource, type SourceOptions, type SourceStats } from './source.js';
import { StartOnce } from './start-once.js';
import { AuditControl, AuditRequestError } from './sys/audit-control.js';
import { isLittleEndian, loadAuditFfi, SO_RCVBUF, SO_RCVBUFFORCE, SOL_SOCKET, type AuditFfi } from './sys/audit-ffi.js';
import {
  AUDIT_NLGRP_READLOG,
  AUDIT_STATUS_BACKLOG_LIMIT,
  AUDIT_STATUS_ENABLED,
  AUDIT_TRUSTED_APP,
  parseNlMessages,
  ruleKey,
  treeRule,
  type AuditRule,
} from './sys/audit-netlink.js';
import { EAGAIN, EINTR, errnoName } from './sys/errno.js';
import { FdPoll } from './sys/fd-poll.js';

/** Tunables of the linux-audit source (defaults, units and reasons: config/defaults.ts `linuxAudit`). */
export type LinuxAuditTunables = Partial<Record<keyof typeof defaults.linuxAudit, number>>;

/** What the source reads from /proc and the process table; tests replace it. */
export interface AuditHost {
  /** The daemon's pid: its own records are never reported. */
  pid: number;
  isAlive(pid: number): boolean;
  /** /proc/PID/fd/FD's target as a latin1 byte string, or undefined. */
  fdPath(pid: number, fd: number): string | undefined;
  /** [own, init's] network namespace (`net:[inode]`); undefined where unreadable. */
  netns(): [string | undefined, string | undefined];
  /** The kernel command line (audit=1 makes the `lost` counter count records the reader got). */
  cmdline(): string;
}

export type LinuxAuditOptions = SourceOptions &
  LinuxAuditTunables & {
    ffi?: AuditFfi;
    host?: AuditHost;
  };

export interface LinuxAuditSource extends EventSource {
  /** The filter key of this source's rule (`livemirror-<pid>-<n>`). */
  readonly key: string;
}

/** Keys of rules this program adds: `livemirror-<pid>` or `livemirror-<pid>-<n>`. */
export const KEY_PATTERN = /^livemirror-(\d+)(?:-\d+)?$/;

let instances = 0;

export const realHost: AuditHost = {
  pid: process.pid,
  isAlive: (pid) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
  fdPath: (pid, fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`, { encoding: 'buffer' }).toString('latin1');
    } catch {
      return undefined;
    }
  },
  netns: () => {
    const read = (p: string): string | undefined => {
      try {
        return readlinkSync(p);
      } catch {
        return undefined;
      }
    };
    return [read('/proc/self/ns/net'), read('/proc/1/ns/net')];
  },
  cmdline: () => {
    try {
      return readFileSync('/proc/cmdline', 'utf8');
    } catch {
      return '';
    }
  },
};

/**
 * An EventSource on the Linux audit subsystem (source.ts states the contract every source keeps).
 *
 * start(): needs root (CAP_AUDIT_CONTROL for the rule, CAP_AUDIT_READ for the multicast group)
 * and the initial network namespace, else it rejects with WatchError UNSUPPORTED saying which.
 * It deletes rules that crashed runs left (key `livemirror-<pid>…` of a dead pid), enables audit
 * and raises backlog_limit when needed (remembering what it changed), adds one rule for the tree
 * (`-w ROOT -p wa -k KEY`, optionally `exe!=`), indexes the tree's directories (dirfd-relative
 * names resolve by inode), and resolves once its own probe message came back on the group.
 * Records are read on one loop (poll on the worker pool), assembled by serial, translated; every
 * loss (serial gap, ENOBUFS, a rising `lost` counter where it means loss) is an `overflow` of the
 * root. Events carry pid/uid/exe and never `closed` (writes are not audited). close() is
 * idempotent: it stops the loop, deletes this source's rule only, restores exactly the status
 * fields it changed, and releases the sockets; it never throws (a failed restore is logged to
 * stderr and left to the next start's cleanup).
 */
export function createLinuxAuditSource(opts: LinuxAuditOptions): LinuxAuditSource {
  return new LinuxAudit(opts);
}

class LinuxAudit implements LinuxAuditSource {
  readonly key: string;
  readonly #o: LinuxAuditOptions & typeof defaults.linuxAudit;
  readonly #clock: Clock;
  readonly #host: AuditHost;
  readonly #channel: BatchChannel<FsEvent[]>;
  readonly #dirs = new DirIndex();
  readonly #assembler: AuditAssembler;
  #ffi: AuditFfi | undefined;
  #control: AuditControl | undefined;
  #fd = -1;
  #poll: FdPoll | undefined;
  #rule: AuditRule | undefined;
  /** Status fields this source changed, with their old values. */
  #restore: { enabled?: number; backlogLimit?: number } = {};
  #lost = 0;
  #trustLost = true;
  #nextLostCheck = 0;
  #overflows = 0;
  #overflowPending = false;
  #lastOverflowAt = -Infinity;
  readonly #once = new StartOnce();
  #closing = false;
  #probeSeen = false;
  #loopDone: Promise<void> = Promise.resolve();
  #closeDone: Promise<void> | undefined;
  #readBuf: Buffer | undefined;
  /** The root as the kernel prints it: symlinks resolved, as a latin1 byte string. */
  #realRoot = '';

  constructor(opts: LinuxAuditOptions) {
    const defined = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined));
    this.#o = { ...defaults.linuxAudit, ...defined } as LinuxAuditOptions & typeof defaults.linuxAudit;
    this.#clock = opts.clock ?? realClock;
    this.#host = opts.host ?? realHost;
    this.#channel = new BatchChannel(this.#o.maxQueuedBatches);
    this.#assembler = new AuditAssembler(this.#o);
    this.key = `livemirror-${this.#host.pid}-${++instances}`;
  }

  start(): Promise<void> {
    return this.#once.run(() => this.#start());
  }

  async #start(): Promise<void> {
    try {
      await this.#setup();
    } catch (err) {
      await this.#teardown();
      throw toWatchError(err);
    }
  }

  async #setup(): Promise<void> {
    const closed = (): void => {
      if (this.#closing) throw new WatchError('the source was closed while starting', 'CLOSED');
    };
    closed();
    try {
      this.#realRoot = realpathSync(Buffer.from(this.#o.root, 'utf8'), { encoding: 'buffer' }).toString('latin1');
    } catch (e) {
      throw new WatchError(`cannot watch ${this.#o.root}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, (e as NodeJS.ErrnoException).code);
    }
    try {
      this.#ffi = this.#o.ffi ?? loadAuditFfi();
    } catch (e) {
      throw new WatchError(`linux-audit needs libc.so.6 (Linux with glibc): ${(e as Error).message}`, UNSUPPORTED);
    }
    const ffi = this.#ffi;
    const [own, init] = this.#host.netns();
    if (own !== undefined && init !== undefined && own !== init) throw notInitialNetns(own, init);
    try {
      this.#control = AuditControl.open(ffi, this.#o.requestTimeoutMs);
    } catch (e) {
      throw new WatchError(`this kernel has no audit netlink socket (${(e as Error).message}): build with CONFIG_AUDIT`, UNSUPPORTED);
    }
    const control = this.#control;
    const status = await control.getStatus().catch((e: unknown) => {
      throw privilege(e, 'AUDIT_GET');
    });
    if (status.enabled === 2) {
      throw new WatchError('audit rules are locked (auditctl -e 2, enabled=2): no rule can be added until reboot', UNSUPPORTED);
    }
    this.#trustLost = status.pid !== 0 || !/(^|\s)audit=1(\s|$)/.test(this.#host.cmdline());

    const fd = ffi.openAuditSocket();
    if (fd < 0) throw new WatchError(`socket(NETLINK_AUDIT): ${errnoName(fd)}`, errnoName(fd));
    this.#fd = fd;
    const bound = ffi.bindGroups(fd, 1 << (AUDIT_NLGRP_READLOG - 1));
    if (bound < 0) throw privilege(new AuditRequestError('bind to the audit multicast group (needs CAP_AUDIT_READ)', -bound), 'bind');
    if (ffi.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUFFORCE, this.#o.receiveBufferBytes) < 0) {
      ffi.setsockoptInt(fd, SOL_SOCKET, SO_RCVBUF, this.#o.receiveBufferBytes);
    }
    const poll = FdPoll.withEventfd(ffi, fd, 'the audit socket');
    if (typeof poll === 'number') throw new WatchError(`eventfd: ${errnoName(poll)}`, errnoName(poll));
    this.#poll = poll;

    await this.#removeLeftovers(control);
    closed();
    if (status.enabled === 0) {
      await control.setStatus({ mask: AUDIT_STATUS_ENABLED, enabled: 1 }).catch((e: unknown) => {
        throw privilege(e, 'AUDIT_SET enabled=1');
      });
      this.#restore.enabled = 0;
    }
    if (status.backlogLimit < this.#o.backlogLimit) {
      await control.setStatus({ mask: AUDIT_STATUS_BACKLOG_LIMIT, backlogLimit: this.#o.backlogLimit });
      this.#restore.backlogLimit = status.backlogLimit;
    }
    this.#lost = status.lost;

    const exes = this.#o.ignoreWriters?.exes ?? [];
    const rule = treeRule(
      this.#realRoot,
      this.key,
      this.#o.kernelExeFilter && exes.length === 1 ? exes[0] : undefined,
    );
    await control.addRule(rule).catch((e: unknown) => {
      throw privilege(e, 'AUDIT_ADD_RULE');
    });
    this.#rule = rule;
    closed();

    await this.#index('');
    closed();
    this.#loopDone = this.#loop();
    await this.#probe(control);
    closed();
  }

  /** Deletes rules of crashed runs: key livemirror-<pid>… whose pid is gone. Never touches others. */
  async #removeLeftovers(control: AuditControl): Promise<void> {
    const rules = await control.listRules().catch((e: unknown) => {
      throw privilege(e, 'AUDIT_LIST_RULES');
    });
    for (const r of rules) {
      const m = KEY_PATTERN.exec(ruleKey(r) ?? '');
      if (!m) continue;
      const pid = Number(m[1]);
      if (pid === this.#host.pid || this.#host.isAlive(pid)) continue;
      await control.deleteRule(r).catch((e: unknown) => {
        if (!(e instanceof AuditRequestError && e.errno === 2)) throw e; // ENOENT: another start took it
      });
    }
  }

  /** Sends a message of its own and waits until something arrives on the group: proves records reach us. */
  async #probe(control: AuditControl): Promise<void> {
    await control.sendUserMessage(AUDIT_TRUSTED_APP, `livemirror probe ${this.key}`).catch((e: unknown) => {
      throw privilege(e, 'audit user message (CAP_AUDIT_WRITE)');
    });
    let timer: TimerHandle | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#onProbe = resolve;
        if (this.#probeSeen) resolve();
        timer = this.#clock.setTimeout(() => {
          const [own, init] = this.#host.netns();
          reject(
            new WatchError(
              `no audit record reached the multicast group within ${this.#o.probeTimeoutMs} ms. The kernel delivers it only to ` +
                `sockets in the initial network namespace${own !== undefined && init === undefined ? ` (this one is ${own}; /proc/1/ns/net is unreadable, so it cannot be compared)` : ''}: ` +
                'run livemirror in the host namespace (nsenter -t 1 -n), or use --watcher inotify/fanotify',
              UNSUPPORTED,
            ),
          );
        }, this.#o.probeTimeoutMs);
      });
    } finally {
      this.#clock.clearTimeout(timer);
      this.#onProbe = undefined;
    }
  }
  #onProbe: (() => void) | undefined;

  /** Indexes `dir` and every directory below it (by dev:inode), for names given relative to a dirfd. */
  async #index(dir: RelPath): Promise<void> {
    const root = this.#o.root;
    const put = (rel: RelPath): boolean => {
      try {
        const st = lstatSync(joinBytes(root, rel), { bigint: true });
        if (!st.isDirectory()) return false;
        this.#dirs.set(dirId(st.dev, st.ino), rel);
        return true;
      } catch {
        return false;
      }
    };
    if (!put(dir)) return;
    await walkDirs<RelPath>({
      roots: [dir],
      absPath: (rel) => joinBytes(root, rel),
      visit: (rel, subdirs) => subdirs.map((name) => joinRel(rel, name)).filter(put),
      sliceDirs: this.#o.walkSliceDirs,
      abort: () => (this.#closing ? new WatchError('the source was closed while starting', 'CLOSED') : undefined),
    });
  }

  events(): AsyncIterable<FsEvent[]> {
    return this.#channel.iterable();
  }

  stats(): SourceStats {
    return { watches: this.#rule ? 1 : 0, overflows: this.#overflows };
  }

  close(): Promise<void> {
    this.#closeDone ??= this.#close();
    return this.#closeDone;
  }

  async #close(): Promise<void> {
    this.#closing = true;
    this.#poll?.wake();
    this.#channel.end();
    await this.#once.settled;
    await this.#loopDone;
    await this.#teardown();
  }

  /** Undoes what start() did, in reverse: rule, backlog_limit, enabled, sockets. */
  async #teardown(): Promise<void> {
    this.#closing = true;
    this.#poll?.wake();
    this.#channel.end(); // releases a loop blocked on a full channel
    await this.#loopDone;
    const control = this.#control;
    const report = (what: string, e: unknown): void => {
      process.stderr.write(`livemirror: linux-audit: ${what} failed on close: ${(e as Error).message}\n`);
    };
    if (control) {
      if (this.#rule) await control.deleteRule(this.#rule).catch((e: unknown) => report(`deleting rule ${this.key}`, e));
      this.#rule = undefined;
      if (this.#restore.backlogLimit !== undefined) {
        await control
          .setStatus({ mask: AUDIT_STATUS_BACKLOG_LIMIT, backlogLimit: this.#restore.backlogLimit })
          .catch((e: unknown) => report('restoring backlog_limit', e));
      }
      if (this.#restore.enabled !== undefined) {
        await control.setStatus({ mask: AUDIT_STATUS_ENABLED, enabled: this.#restore.enabled }).catch((e: unknown) => report('restoring enabled', e));
      }
      this.#restore = {};
      control.close();
      this.#control = undefined;
    }
    if (this.#ffi && this.#fd >= 0) this.#ffi.close(this.#fd);
    this.#poll?.close();
    this.#fd = -1;
    this.#poll = undefined;
    this.#channel.end();
  }

  async #loop(): Promise<void> {
    const ctx: TranslateContext = {
      root: this.#realRoot,
      ownPid: this.#host.pid,
      ignoreWriters: this.#o.ignoreWriters,
      isExcluded: this.#o.isExcluded,
      dirs: this.#dirs,
      dirfdPath: (pid, fd) => this.#host.fdPath(pid, fd),
    };
    const early: FsEvent[] = [];
    const poll = this.#poll as FdPoll;
    try {
      while (!this.#closing) {
        if (this.#probeSeen && early.length > 0) await this.#channel.push(early.splice(0));
        const now = this.#clock.now();
        if (this.#nextLostCheck === 0) this.#nextLostCheck = now + this.#o.lostCheckMs;
        const waits = [
          this.#assembler.nextDeadline(now),
          this.#nextLostCheck - now,
          this.#overflowPending ? this.#lastOverflowAt + this.#o.overflowCoalesceMs - now : undefined,
        ].filter((w) => w !== undefined);
        const timeout = Math.max(0, Math.ceil(Math.min(...waits)));
        await poll.wait(timeout); // readable, woken or timed out: a timeout has work of its own
        if (this.#closing) break;
        const assembled: Assembled[] = [];
        let overflow = this.#readAvailable(assembled);
        const t = this.#clock.now();
        this.#assembler.expire(t, assembled);
        if (t >= this.#nextLostCheck) {
          this.#nextLostCheck = t + this.#o.lostCheckMs;
          overflow = (await this.#lostRose()) || overflow;
        }
        const batch: FsEvent[] = [];
        const index: RelPath[] = [];
        for (const a of assembled) {
          if (a.kind === 'lost') {
            overflow = true;
            continue;
          }
          const tr = translateGroup(a.group, ctx, t);
          for (const e of tr.events) {
            if (e.kind === 'overflow') overflow = true;
            else batch.push(e);
          }
          index.push(...tr.index);
        }
        for (const dir of index) await this.#index(dir);
        // One rescan per overflowCoalesceMs at most: a flood loses records in many places, and
        // each overflow costs the consumer a walk of the root. A loss after the last overflow is
        // still reported, once the window has passed.
        if (overflow) this.#overflowPending = true;
        if (this.#overflowPending && t - this.#lastOverflowAt >= this.#o.overflowCoalesceMs) {
          this.#overflowPending = false;
          this.#lastOverflowAt = t;
          this.#overflows++;
          batch.push({ kind: 'overflow', path: '', isDir: true, time: t });
        }
        // Until start() resolved nobody reads: hold the batches here, so that a full channel
        // cannot stop the loop from reading the probe (start would wait for it forever).
        if (!this.#probeSeen) {
          early.push(...batch);
          continue;
        }
        if (early.length > 0) batch.unshift(...early.splice(0));
        if (batch.length > 0) await this.#channel.push(batch);
      }
    } catch (err) {
      if (!this.#closing) this.#channel.fail(toWatchError(err));
    }
  }

  /** True when the kernel's lost counter rose where it means records we never got (see docs). */
  async #lostRose(): Promise<boolean> {
    if (!this.#control) return false;
    const s = await this.#control.getStatus();
    const rose = s.lost !== this.#lost;
    this.#lost = s.lost;
    return rose && this.#trustLost;
  }

  /** Reads every queued datagram into the assembler; true when the socket overflowed (ENOBUFS). */
  #readAvailable(out: Assembled[]): boolean {
    const ffi = this.#ffi as AuditFfi;
    const buf = (this.#readBuf ??= Buffer.alloc(this.#o.readBufferBytes));
    let overflow = false;
    const now = this.#clock.now();
    for (let records = 0; records < this.#o.maxBatchRecords; ) {
      const n = ffi.recv(this.#fd, buf, buf.length);
      if (n === -EINTR) continue;
      if (n === -EAGAIN || n === 0) break;
      if (n === -ENOBUFS) {
        overflow = true;
        this.#delivered();
        continue;
      }
      if (n < 0) throw new WatchError(`recv on the audit multicast socket: ${errnoName(n)}`, errnoName(n));
      this.#delivered();
      for (const m of parseNlMessages(buf, n, isLittleEndian)) {
        records++;
        const r = parseAuditRecord(m.type, m.payload.toString('latin1'));
        if (!r) continue;
        this.#assembler.push(r, now, out);
      }
    }
    return overflow;
  }

  /** Anything that reaches the socket (a record, or ENOBUFS for records that did not fit) proves
   *  the multicast group is delivered here; the probe message only makes sure something comes. */
  #delivered(): void {
    if (this.#probeSeen) return;
    this.#probeSeen = true;
    this.#onProbe?.();
  }

}

const ENOBUFS = 105;

function notInitialNetns(own: string, init: string): WatchError {
  return new WatchError(
    `linux-audit cannot run in this network namespace (${own}; the initial one is ${init}): the kernel delivers audit ` +
      'records on the multicast group only to sockets in the initial network namespace. Run livemirror in the host ' +
      'namespace, or use --watcher inotify/fanotify',
    UNSUPPORTED,
  );
}

function privilege(e: unknown, what: string): unknown {
  if (e instanceof AuditRequestError && (e.errno === 1 || e.errno === 13)) {
    return new WatchError(
      `linux-audit needs root (CAP_AUDIT_CONTROL to set rules, CAP_AUDIT_READ for the multicast group, CAP_AUDIT_WRITE for its start probe): ${what} was refused (${errnoName(e.errno)})`,
      UNSUPPORTED,
    );
  }
  if (e instanceof AuditRequestError && e.errno === 93 /* EPROTONOSUPPORT */) {
    return new WatchError(`this kernel has no audit support (${what}: ${e.message})`, UNSUPPORTED);
  }
  return e;
}

function toWatchError(err: unknown): Error {
  if (err instanceof WatchError) return err;
  if (err instanceof AuditRequestError) return new WatchError(`linux-audit: ${err.message}`, errnoName(err.errno));
  return err instanceof Error ? err : new Error(String(err));
}
