import type { FsEvent } from '../../core/event.js';
import type { RelPath } from '../../core/path.js';
import { isIgnoredWriter, type WriterFilter } from '../source.js';
import { eventAction, openKind, O_ACCMODE, O_CREAT, O_TRUNC, type OpenKind } from './bsm-events.js';
import type { BsmItem, BsmRecord } from './bsm-tokens.js';

export interface BsmTranslateOptions {
  /** Absolute path of the watched tree, as writers spell it (UTF-8 text). */
  root: string;
  isExcluded?: (path: RelPath, isDir: boolean) => boolean;
  ignoreWriters?: WriterFilter;
  /** The daemon's own pid: its records are never reported (source.ts). */
  ownPid?: number;
  /** Write-opened files remembered for their close (pid and fd); the oldest go past this. */
  maxOpenFiles?: number;
}

/**
 * Turns decoded BSM records into the tree's FsEvents. Pure: no I/O, no clock (`now` is an
 * argument); it keeps one piece of state, the files opened for writing inside the tree by
 * (pid, fd), so that their close — and fd-based calls (ftruncate, fchmod, futimens…) whose records
 * carry no path — can be placed.
 *
 * The rules, cell by cell in bsm-translate.test.ts:
 *  - Only successful calls count: a return token with an error ≠ 0 is ignored (so is a record of
 *    the daemon's own pid and one whose writer `ignoreWriters` names).
 *  - A path belongs to the tree when it is the root itself or starts with root + '/' (exact byte
 *    prefix, after folding '//', '.' and '..'); anything else is not reported.
 *  - create, mknod, mkfifo, symlink → create (the new name is the first path; symlink's target is
 *    a text token); mkdir → create isDir; link → create of the second path (the new name).
 *  - open with write access or O_TRUNC: O_CREAT → create, else modify; read-only O_CREAT → create;
 *    plain read-only opens → nothing. A write-open is remembered by (pid, returned fd).
 *  - truncate, ftruncate, posix_fallocate, fspacectl → modify; chmod/chown/utimes/chflags/extattr
 *    families → attrib; unlink → delete; rmdir → delete isDir.
 *  - rename inside → move (from, path); out of the tree → delete; into it → create. The record
 *    does not say whether a directory moved (FreeBSD's attr mode has no file-type bits), so these
 *    are isDir: true — the pipeline then syncs the destination recursively, which is right for a
 *    file as well.
 *  - close of a remembered (pid, fd) → modify (the writer is done); other closes → nothing.
 *  - A call that changes the tree but whose path is empty or relative (the kernel could not
 *    canonicalize it: FreeBSD records carry no cwd to resolve it against) → overflow '' (rescan
 *    the root), once per batch: the change may be in the tree and must not be lost.
 *  - pid and uid are the subject's pid and effective uid (euid: whose rights the call used and
 *    who owns what it creates; the audit uid is the login user, -1 for daemons). `closed` stays
 *    absent: audit does not see write(2), so settle falls back to quiet time.
 */
export class BsmTranslator {
  readonly #o: BsmTranslateOptions;
  readonly #root: string;
  readonly #open = new Map<string, RelPath>();
  #overflows = 0;

  constructor(opts: BsmTranslateOptions) {
    this.#o = opts;
    this.#root = normalize(Buffer.from(opts.root, 'utf8').toString('latin1')) ?? '/';
  }

  /** Overflow events emitted so far. */
  get overflows(): number {
    return this.#overflows;
  }

  /** Write-opened files currently remembered. */
  get openFiles(): number {
    return this.#open.size;
  }

  /** An overflow for the whole root (dropped records, undecodable bytes); counted. */
  overflow(time: number): FsEvent {
    this.#overflows++;
    return { kind: 'overflow', path: '', isDir: true, time };
  }

  /** The events of `items`, in order. `now` stamps them; default: each record's own time. */
  translate(items: readonly BsmItem[], now?: number): FsEvent[] {
    const out: FsEvent[] = [];
    let overflowed = false;
    for (const item of items) {
      if (item.type !== 'record') continue;
      const r = this.#record(item, now ?? item.time, out);
      if (r === 'unplaceable' && !overflowed) {
        overflowed = true;
        out.push(this.overflow(now ?? item.time));
      }
    }
    return out;
  }

  #record(rec: BsmRecord, time: number, out: FsEvent[]): 'unplaceable' | undefined {
    const action = eventAction(rec.event);
    if (action === undefined) return;
    if (rec.ret !== undefined && rec.ret.error !== 0) return;
    const pid = rec.subject?.pid;
    const uid = rec.subject?.euid;
    if (pid !== undefined && pid === this.#o.ownPid) return;
    if (isIgnoredWriter(this.#o.ignoreWriters, { ...(pid !== undefined ? { pid } : {}), ...(uid !== undefined ? { uid } : {}) })) return;
    const who = { ...(pid !== undefined ? { pid } : {}), ...(uid !== undefined ? { uid } : {}) };
    const emit = (kind: FsEvent['kind'], path: RelPath, isDir: boolean, from?: RelPath) => {
      if (this.#o.isExcluded?.(path, isDir)) return;
      out.push({ kind, path, ...(from !== undefined ? { from } : {}), isDir, ...who, time });
    };

    switch (action) {
      case 'create':
      case 'mkdir':
      case 'link':
      case 'unlink':
      case 'rmdir':
      case 'attrib':
      case 'truncate': {
        const raw = action === 'link' ? rec.paths[rec.paths.length - 1] : rec.paths[0];
        let path: RelPath | null | 'unplaceable';
        if (raw === undefined) {
          // fd-based calls (ftruncate, fchmod, futimens…) name no path: only their fd.
          path = this.#byFd(pid, rec) ?? null;
        } else {
          path = this.#place(raw);
        }
        if (path === 'unplaceable') return 'unplaceable';
        if (path === null) return;
        const kind = action === 'unlink' || action === 'rmdir' ? 'delete' : action === 'attrib' ? 'attrib' : action === 'truncate' ? 'modify' : 'create';
        emit(kind, path, action === 'mkdir' || action === 'rmdir');
        if (kind === 'delete') this.#forget(path);
        return;
      }
      case 'open': {
        const how = openKind(rec.event) ?? fromFlags(rec);
        if (how === undefined || (!how.write && !how.trunc && !how.creat)) return;
        const raw = rec.paths[0];
        if (raw === undefined) return;
        const path = this.#place(raw);
        if (path === 'unplaceable') return 'unplaceable';
        if (path === null) return;
        emit(how.creat ? 'create' : 'modify', path, false);
        if ((how.write || how.trunc) && pid !== undefined && rec.ret !== undefined && rec.ret.value >= 0) this.#remember(pid, rec.ret.value, path);
        return;
      }
      case 'close': {
        const fd = fdArg(rec);
        if (pid === undefined || fd === undefined) return;
        const key = `${pid}:${fd}`;
        const path = this.#open.get(key);
        if (path === undefined) return;
        this.#open.delete(key);
        emit('modify', path, false);
        return;
      }
      case 'rename': {
        const [a, b] = rec.paths;
        if (a === undefined || b === undefined) return a === undefined && b === undefined ? undefined : 'unplaceable';
        const from = this.#place(a);
        const to = this.#place(b);
        if (from === 'unplaceable' || to === 'unplaceable') return 'unplaceable';
        if (from !== null && to !== null) {
          const fromOut = this.#o.isExcluded?.(from, true) ?? false;
          const toOut = this.#o.isExcluded?.(to, true) ?? false;
          if (!fromOut && !toOut) emit('move', to, true, from);
          else if (!toOut) emit('create', to, true);
          else if (!fromOut) emit('delete', from, true);
        } else if (from !== null) emit('delete', from, true);
        else if (to !== null) emit('create', to, true);
        this.#moved(from, to);
        return;
      }
    }
  }

  /** The tree-relative path of an absolute audit path; null when outside the tree; 'unplaceable' when not absolute. */
  #place(raw: string): RelPath | null | 'unplaceable' {
    if (!raw.startsWith('/')) return 'unplaceable';
    const p = normalize(raw) ?? '/';
    const root = this.#root;
    if (p === root) return '';
    if (root === '/') return p.slice(1);
    return p.startsWith(root + '/') ? p.slice(root.length + 1) : null;
  }

  #byFd(pid: number | undefined, rec: BsmRecord): RelPath | undefined {
    const fd = fdArg(rec);
    return pid === undefined || fd === undefined ? undefined : this.#open.get(`${pid}:${fd}`);
  }

  #remember(pid: number, fd: number, path: RelPath): void {
    const key = `${pid}:${fd}`;
    this.#open.delete(key);
    this.#open.set(key, path);
    const max = this.#o.maxOpenFiles ?? 65_536;
    while (this.#open.size > max) {
      const oldest = this.#open.keys().next().value;
      if (oldest === undefined) break;
      this.#open.delete(oldest);
    }
  }

  #forget(path: RelPath): void {
    for (const [k, p] of this.#open) if (p === path) this.#open.delete(k);
  }

  /** Open files follow their rename (a writer may rename before it closes). */
  #moved(from: RelPath | null, to: RelPath | null): void {
    if (from === null) return;
    for (const [k, p] of this.#open) {
      if (p !== from && !p.startsWith(from + '/')) continue;
      if (to === null) this.#open.delete(k);
      else this.#open.set(k, to + p.slice(from.length));
    }
  }
}

/** The access of a generic AUE_OPEN/AUE_OPENAT, from its `flags` argument (FreeBSD values). */
function fromFlags(rec: BsmRecord): OpenKind | undefined {
  const flags = rec.args.find((a) => a.text === 'flags')?.value;
  if (flags === undefined) return { write: true, creat: false, trunc: false };
  return { write: (flags & O_ACCMODE) !== 0, creat: (flags & O_CREAT) !== 0, trunc: (flags & O_TRUNC) !== 0 };
}

/** The fd argument of a close or fd-based call ("fd", or "non-file: fd" for non-vnodes). */
function fdArg(rec: BsmRecord): number | undefined {
  return rec.args.find((a) => a.text === 'fd')?.value;
}

/** '/a//b/./c/../d' → '/a/b/d'; undefined for '/' itself. Lexical: symlinks are not resolved. */
function normalize(p: string): string | undefined {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return parts.length ? '/' + parts.join('/') : undefined;
}
