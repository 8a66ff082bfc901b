import type { FsEvent } from '../core/event.js';
import { parentOf, type RelPath } from '../core/path.js';
import type { AuditGroup } from './audit-assemble.js';
import type { DirIndex } from './audit-dir-index.js';
import type { AuditRecord } from './audit-record.js';
import { isAtFdcwd, O_ACCMODE, O_CREAT, O_TRUNC, syscallInfo, type SyscallInfo } from './audit-syscalls.js';
import { isIgnoredWriter, type WriterFilter } from './source.js';
import { AUDIT_CWD, AUDIT_PATH, AUDIT_SYSCALL } from './sys/audit-netlink.js';

export interface TranslateContext {
  /** Absolute path of the root as a byte string (latin1), without a trailing '/'. */
  root: string;
  /** The daemon's own pid: never reported. */
  ownPid: number;
  ignoreWriters?: WriterFilter;
  isExcluded: (path: RelPath, isDir: boolean) => boolean;
  /** Directories of the tree by `dev:inode`; the translation keeps it current. */
  dirs: DirIndex;
  /** Where fd `fd` of process `pid` points now (/proc/PID/fd/FD), absolute, latin1; undefined when gone. */
  dirfdPath(pid: number, fd: number): string | undefined;
}

export interface Translation {
  events: FsEvent[];
  /** Directories that came in from outside (moved in): their subdirectories must be indexed. */
  index: RelPath[];
}

interface Item {
  nametype: string;
  name: string | undefined;
  id: string | undefined;
  isDir: boolean;
  /** Absolute path (latin1), or undefined when it cannot be resolved. */
  abs: string | undefined;
}

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

/**
 * One audit event (SYSCALL + CWD + PATH records of one serial) → FsEvents (pure; the one
 * collaborator, `dirfdPath`, reads /proc). Failed syscalls, the daemon's own process and ignored
 * writers give nothing. Names are resolved byte-exactly: a PARENT item by its inode in `dirs`
 * (right even for dirfd-relative calls, where audit prints the cwd as its name), else by its
 * name (absolute, or relative to the CWD record or the syscall's dirfd); a CREATE/DELETE item as
 * its PARENT's path + the last component of its name. Only paths equal to the root or below
 * root + '/' are reported. A path the tree may contain but that cannot be resolved becomes an
 * `overflow` of the root: nothing is dropped silently.
 */
export function translateGroup(g: AuditGroup, ctx: TranslateContext, time: number): Translation {
  const out: Translation = { events: [], index: [] };
  const sys = g.records.find((r) => r.type === AUDIT_SYSCALL);
  if (!sys) return out;
  const f = sys.fields;
  if (f.get('success') !== 'yes') return out;
  const pid = num(f.get('pid'));
  if (pid === ctx.ownPid) return out;
  const uid = num(f.get('uid'));
  const exe = f.get('exe');
  if (isIgnoredWriter(ctx.ignoreWriters, { pid, uid, exe })) return out;
  const writer = { ...(pid !== undefined ? { pid } : {}), ...(uid !== undefined ? { uid } : {}), ...(exe !== undefined ? { exe } : {}) };
  const info = syscallInfo(f.get('arch'), num(f.get('syscall')) ?? -1);
  const cwd = g.records.find((r) => r.type === AUDIT_CWD)?.fields.get('cwd');
  const items = resolveItems(
    g.records.filter((r) => r.type === AUDIT_PATH),
    sys,
    info,
    cwd,
    ctx,
    pid,
  );

  // Excluded paths are kept in the directory index (names below them still resolve) but never reported.
  const emit = (e: Omit<FsEvent, 'time'>): void => {
    if (excluded(e.path, e.isDir, ctx)) {
      if (e.kind !== 'move' || e.from === undefined || excluded(e.from, e.isDir, ctx)) return;
      emit({ kind: 'delete', path: e.from, isDir: e.isDir });
      return;
    }
    if (e.kind === 'move' && e.from !== undefined && excluded(e.from, e.isDir, ctx)) {
      out.events.push({ kind: 'create', path: e.path, isDir: e.isDir, ...writer, time });
      return;
    }
    out.events.push({ ...e, ...writer, time });
  };
  let unresolved = false;
  const rel = (it: Item | undefined): RelPath | undefined => {
    if (!it) return undefined;
    if (it.abs === undefined) {
      unresolved = true;
      return undefined;
    }
    return toRel(it.abs, ctx.root);
  };

  const creates = items.filter((i) => i.nametype === 'CREATE');
  const deletes = items.filter((i) => i.nametype === 'DELETE');
  const normals = items.filter((i) => i.nametype === 'NORMAL');

  if (info?.kind === 'rename' || (info === undefined && creates.length === 1 && deletes.length >= 1)) {
    const fromItem = deletes[0];
    const toItem = creates[0];
    const from = rel(fromItem);
    const to = rel(toItem);
    const isDir = toItem?.isDir ?? fromItem?.isDir ?? false;
    if (from !== undefined && to !== undefined) {
      if (from !== to) {
        emit({ kind: 'move', from, path: to, isDir });
        if (isDir) ctx.dirs.move(from, to);
      }
    } else if (from !== undefined) {
      emit({ kind: 'delete', path: from, isDir });
      if (isDir) ctx.dirs.delete(from);
    } else if (to !== undefined) {
      emit({ kind: 'create', path: to, isDir });
      if (isDir) {
        if (toItem?.id) ctx.dirs.set(toItem.id, to);
        out.index.push(to);
      }
    }
  } else {
    for (const it of creates) {
      const p = rel(it);
      if (p === undefined) continue;
      emit({ kind: 'create', path: p, isDir: it.isDir });
      if (it.isDir && it.id) ctx.dirs.set(it.id, p);
    }
    for (const it of deletes) {
      const p = rel(it);
      if (p === undefined) continue;
      emit({ kind: 'delete', path: p, isDir: it.isDir });
      if (it.isDir) ctx.dirs.delete(p);
    }
    // link(2)'s NORMAL item is the existing name (unchanged); symlink's UNKNOWN is its target text.
    const changesNormal = info === undefined || info.kind === 'open' || info.kind === 'write' || info.kind === 'attr';
    if (changesNormal && !(info?.kind === 'open' && isReadOnlyOpen(sys, info))) {
      for (const it of normals) {
        const p = rel(it);
        if (p === undefined) continue;
        emit({ kind: info?.kind === 'attr' ? 'attrib' : 'modify', path: p, isDir: it.isDir });
      }
    }
  }
  if (unresolved) out.events.push({ kind: 'overflow', path: '', isDir: true, ...writer, time });
  return out;
}

function resolveItems(
  paths: AuditRecord[],
  sys: AuditRecord,
  info: SyscallInfo | undefined,
  cwd: string | undefined,
  ctx: TranslateContext,
  pid: number | undefined,
): Item[] {
  const items: Item[] = paths
    .map((r) => {
      const mode = r.fields.get('mode');
      const dev = r.fields.get('dev');
      const inode = r.fields.get('inode');
      return {
        item: num(r.fields.get('item')) ?? 0,
        nametype: r.fields.get('nametype') ?? 'UNKNOWN',
        name: r.fields.get('name'),
        id: dev !== undefined && inode !== undefined ? `${dev}:${inode}` : undefined,
        isDir: mode !== undefined && (parseInt(mode, 8) & S_IFMT) === S_IFDIR,
        abs: undefined as string | undefined,
      };
    })
    .sort((a, b) => a.item - b.item);

  const base = (argIndex: number | undefined): string | undefined => {
    // Where a relative name starts: the cwd, or the dirfd the syscall took.
    if (argIndex === undefined) return cwd;
    const a = sys.fields.get(`a${argIndex}`);
    if (a === undefined || isAtFdcwd(a)) return cwd;
    const fd = parseInt(a, 16);
    return pid === undefined || !Number.isFinite(fd) ? undefined : ctx.dirfdPath(pid, fd);
  };
  const byName = (name: string | undefined, argIndex: number | undefined): string | undefined => {
    if (name === undefined) return undefined;
    if (name.startsWith('/')) return normalize(name);
    const b = base(argIndex);
    return b === undefined ? undefined : normalize(`${b}/${name}`);
  };

  const parents = items.filter((i) => i.nametype === 'PARENT');
  // A child's PARENT is the one whose name is the child's name up to its last '/' (the kernel
  // prints that much of the same string). A child named without '/' has a "bare" PARENT, which
  // the kernel prints as the process's cwd even when the syscall took a dirfd: its name is not
  // used then. Parent order is not reliable either: mv's renameat2 lists the new directory first.
  const dirPart = (name: string | undefined): string | undefined => {
    const i = name?.lastIndexOf('/') ?? -1;
    return name !== undefined && i >= 0 ? name.slice(0, i + 1) : undefined;
  };
  const children = items.filter((i) => i.nametype === 'CREATE' || i.nametype === 'DELETE');
  const claimed = new Set(children.map((c) => dirPart(c.name)).filter((d) => d !== undefined));
  const bare = parents.filter((p) => p.name === undefined || !claimed.has(p.name));
  parents.forEach((p, i) => {
    const known = p.id !== undefined ? ctx.dirs.get(p.id) : undefined;
    if (known !== undefined) p.abs = known === '' ? ctx.root : `${ctx.root}/${known}`;
    else if (bare.includes(p)) {
      const b = base(info ? info.parentDirfds?.[i] : undefined);
      p.abs = b === undefined ? undefined : normalize(b);
    } else p.abs = byName(p.name, info?.parentDirfds?.[i]);
  });
  const bareDirs = new Set(bare.map((p) => p.abs));
  // Two bare PARENTs in different directories: coreutils' `mv f dir/` renames with the target
  // directory's fd and bare names on both sides. The dirfd arguments tell old from new: the one
  // that resolves (AT_FDCWD → cwd, else /proc/PID/fd) picks its PARENT, the other is the rest.
  let bareOld: Item | undefined;
  let bareNew: Item | undefined;
  if (info?.kind === 'rename' && bare.length === 2 && bareDirs.size === 2) {
    const [d0, d1] = info.parentDirfds ?? [];
    const oldDir = d0 === undefined ? undefined : base(d0);
    const newDir = d1 === undefined ? undefined : base(d1);
    const pick = (dir: string | undefined) => (dir === undefined ? undefined : bare.find((p) => p.abs === normalize(dir)));
    bareOld = pick(oldDir);
    bareNew = pick(newDir);
    if (bareOld && !bareNew) bareNew = bare.find((p) => p !== bareOld);
    if (bareNew && !bareOld) bareOld = bare.find((p) => p !== bareNew);
  }
  for (const it of children) {
    const dir = dirPart(it.name);
    const parent =
      dir !== undefined
        ? parents.find((p) => p.name === dir)
        : bareDirs.size === 1
          ? bare[0]
          : it.nametype === 'DELETE' && it === children.find((c) => c.nametype === 'DELETE')
            ? bareOld
            : bareNew;
    const last = lastComponent(it.name);
    if (parent?.abs !== undefined && last !== undefined) it.abs = normalize(`${parent.abs}/${last}`);
    else it.abs = it.name?.startsWith('/') ? normalize(it.name) : undefined;
  }
  for (const it of items) if (it.nametype === 'NORMAL') it.abs = byName(it.name, info?.normalDirfd);
  return items;
}

function isReadOnlyOpen(sys: AuditRecord, info: SyscallInfo): boolean {
  if (info.flagsArg === undefined) return false;
  const flags = parseInt(sys.fields.get(`a${info.flagsArg}`) ?? '', 16);
  if (!Number.isFinite(flags)) return false;
  return (flags & O_ACCMODE) === 0 && (flags & (O_TRUNC | O_CREAT)) === 0;
}

/** Lexical normalization of an absolute byte path: no '.', '..', empty or trailing components. */
export function normalize(abs: string): string {
  const parts: string[] = [];
  for (const c of abs.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') parts.pop();
    else parts.push(c);
  }
  return '/' + parts.join('/');
}

function lastComponent(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const parts = name.split('/').filter((c) => c !== '' && c !== '.');
  return parts[parts.length - 1];
}

/** The path below `root`, '' for the root itself, undefined outside. */
export function toRel(abs: string, root: string): RelPath | undefined {
  if (abs === root) return '';
  if (root === '/') return abs.slice(1);
  return abs.startsWith(root + '/') ? abs.slice(root.length + 1) : undefined;
}

function excluded(p: RelPath, isDir: boolean, ctx: TranslateContext): boolean {
  if (p === '') return false;
  if (ctx.isExcluded(p, isDir)) return true;
  for (let d = parentOf(p); d !== ''; d = parentOf(d)) if (ctx.isExcluded(d, true)) return true;
  return false;
}

function num(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}
