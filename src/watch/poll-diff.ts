import type { FsEvent } from '../core/event.js';
import { compareBytes, joinRel, parentOf, type RelPath } from '../core/path.js';

/** What the poll source keeps of one lstat (never following symlinks). */
export interface PollEntry {
  dev: number;
  ino: bigint;
  /** st_mode: the type bits (S_IFMT) and the permission bits. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  /** Birth time (statx), 0 where the file system has none (NFS): tells a reused inode number
   *  from the same file (ext4 hands a freed inode to the very next new file). */
  btimeNs: bigint;
}

/** One pass over the tree: every entry not excluded, by path; the root itself is ''. */
export type Snapshot = Map<RelPath, PollEntry>;

const S_IFMT = 0o170000;
const S_IFDIR = 0o040000;

export function isDirEntry(e: PollEntry): boolean {
  return (e.mode & S_IFMT) === S_IFDIR;
}

/** The same file system object: same device, inode, birth time and type (a type change is a new object). */
export function sameObject(a: PollEntry, b: PollEntry): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.btimeNs === b.btimeNs && (a.mode & S_IFMT) === (b.mode & S_IFMT);
}

function contentChanged(a: PollEntry, b: PollEntry): boolean {
  return a.size !== b.size || a.mtimeNs !== b.mtimeNs;
}

function ownerModeChanged(a: PollEntry, b: PollEntry): boolean {
  return a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid;
}

function baseName(p: RelPath): RelPath {
  return p.slice(p.lastIndexOf('/') + 1);
}

const byPath = (a: FsEvent, b: FsEvent): number => compareBytes(a.path, b.path);

interface Move {
  from: RelPath;
  to: RelPath;
  isDir: boolean;
}

/**
 * The events that turn `prev` into `next` (two passes of the poll source). Pure.
 *
 * Per path, with the same object (dev, ino, type) in both: a file or symlink whose size or mtime
 * changed → `modify` (no `closed`: the poll source cannot tell); else one whose mode, owner or
 * ctime changed → `attrib`. A directory → `attrib` when its mode or owner changed, or its ctime
 * changed while none of its own entries came or went (utimes, xattrs; an entry coming or going
 * changes a directory's times and is reported itself).
 *
 * Objects that left a path (departures) and objects new at a path (arrivals) are paired by
 * identity (dev, ino, birth time, type): a pair is one `move` (from, path), followed by `modify`/`attrib` at the new path
 * when the content/mode/owner changed on the way (ctime is not compared: rename sets it). So a
 * rename over an existing path is one `move`; a type change at a path is `delete` + `create`.
 * Only the top of a tree is reported: a created or moved directory covers everything below it
 * (the pipeline syncs it recursively), a deleted or moved-away directory everything that was
 * below it; moves into or out of such a tree are still reported as moves. Where the file system
 * has no birth time, a reused inode number may pair a deleted path with a new one; the move is
 * then followed by the `modify` of its new content, so the result is still right.
 *
 * Order: moves (a move away from a path before the move onto it, moves out of a moved directory
 * before it, a moved directory before moves into it; a cycle such as a swap gives up one move,
 * which becomes a `create`), then deletes (a path about to be replaced before its create), then
 * creates, then modifies and attribs. Moves name their `from` as it was in `prev`.
 */
export function diffSnapshots(prev: Snapshot, next: Snapshot, time: number): FsEvent[] {
  const arrivals: RelPath[] = [];
  const departures = new Map<RelPath, PollEntry>();
  /** Directories one of whose own entries came or went. */
  const touched = new Set<RelPath>();
  const later: FsEvent[] = [];
  /** Directories whose ctime changed, decided once `touched` is known. */
  const dirCtime: RelPath[] = [];

  /** Paths of prev found unchanged in identity in next: when that is all of prev, nothing departed. */
  let kept = 0;
  for (const [p, n] of next) {
    const o = prev.get(p);
    if (p === '' && !o) continue; // the root's identity is the source's business
    if (o && (p === '' || sameObject(o, n))) {
      kept++;
      if (isDirEntry(n)) {
        if (ownerModeChanged(o, n)) later.push({ kind: 'attrib', path: p, isDir: true, time });
        else if (o.ctimeNs !== n.ctimeNs) dirCtime.push(p);
      } else if (contentChanged(o, n)) later.push({ kind: 'modify', path: p, isDir: false, time });
      else if (ownerModeChanged(o, n) || o.ctimeNs !== n.ctimeNs) later.push({ kind: 'attrib', path: p, isDir: false, time });
      continue;
    }
    arrivals.push(p);
    touched.add(parentOf(p));
  }
  for (const [p, o] of kept === prev.size ? [] : prev) {
    if (p === '') continue;
    const n = next.get(p);
    if (n && sameObject(o, n)) continue;
    departures.set(p, o);
    touched.add(parentOf(p));
  }
  for (const p of dirCtime) if (!touched.has(p)) later.push({ kind: 'attrib', path: p, isDir: true, time });

  // Pair arrivals with departures, parents first, so a moved directory's entries pair as part
  // of it (implied) and are not reported.
  const byIno = new Map<bigint, RelPath[]>();
  for (const [p, o] of departures) {
    const list = byIno.get(o.ino);
    if (list) list.push(p);
    else byIno.set(o.ino, [p]);
  }
  // Latin1 byte strings: the default order (UTF-16 code units) is byte order, and much faster
  // than a comparator on 100,000 paths.
  arrivals.sort();
  const used = new Set<RelPath>();
  /** Arrived directory (moved or implied) → where it was in prev. */
  const movedDirFrom = new Map<RelPath, RelPath>();
  /** Directories that arrived (created or moved): what lies below them is covered. */
  const arrivedDirs = new Set<RelPath>();
  /** Arrivals that are the destination of a pair (their old occupant needs no delete). */
  const pairedArrivals = new Set<RelPath>();
  const moves: Move[] = [];
  const creates: FsEvent[] = [];
  for (const p of arrivals) {
    const n = next.get(p) as PollEntry;
    const isDir = isDirEntry(n);
    const parent = parentOf(p);
    const parentFrom = movedDirFrom.get(parent);
    const candidates = byIno.get(n.ino);
    const fits = (c: RelPath): boolean => !used.has(c) && sameObject(departures.get(c) as PollEntry, n);
    let from: RelPath | undefined;
    let implied = false;
    if (candidates) {
      if (parentFrom !== undefined) {
        const along = joinRel(parentFrom, baseName(p));
        if (candidates.includes(along) && fits(along)) {
          from = along;
          implied = true;
        }
      }
      from ??= candidates.find(fits);
    }
    if (isDir) arrivedDirs.add(p);
    if (from === undefined) {
      if (!arrivedDirs.has(parent)) creates.push({ kind: 'create', path: p, isDir, time });
      continue;
    }
    used.add(from);
    pairedArrivals.add(p);
    if (isDir) movedDirFrom.set(p, from);
    if (implied) continue;
    moves.push({ from, to: p, isDir });
    const o = departures.get(from) as PollEntry;
    if (!isDir && contentChanged(o, n)) later.push({ kind: 'modify', path: p, isDir, time });
    else if (ownerModeChanged(o, n)) later.push({ kind: 'attrib', path: p, isDir, time });
  }

  const { ordered, givenUp } = orderMoves(moves);
  const deletes: FsEvent[] = [];
  for (const m of givenUp) {
    creates.push({ kind: 'create', path: m.to, isDir: m.isDir, time });
    // Its source is still to be deleted, unless something else is there now or a departed
    // directory above it covers it.
    if (!next.has(m.from) && !departures.has(parentOf(m.from))) deletes.push({ kind: 'delete', path: m.from, isDir: m.isDir, time });
  }
  for (const [q, o] of departures) {
    if (used.has(q)) continue;
    // Below a directory that was deleted, replaced or moved away: covered by that directory.
    if (departures.has(parentOf(q))) continue;
    // Replaced by an object moved onto the path: the move replaces it.
    if (pairedArrivals.has(q)) continue;
    deletes.push({ kind: 'delete', path: q, isDir: isDirEntry(o), time });
  }
  deletes.sort(byPath);
  creates.sort(byPath);
  return [...ordered.map((m): FsEvent => ({ kind: 'move', path: m.to, from: m.from, isDir: m.isDir, time })), ...deletes, ...creates, ...later];
}

/**
 * Moves in an order the replica can replay one by one: a move must come after the move away
 * from its destination, after the moves out of the tree it moves, and after the move that
 * brings its destination's parent. A cycle (a swap, a rotation) cannot be replayed without a
 * temporary name: the move that closes it is given up (its destination is created instead).
 */
function orderMoves(moves: Move[]): { ordered: Move[]; givenUp: Move[] } {
  if (moves.length === 0) return { ordered: [], givenUp: [] };
  const bySource = new Map<RelPath, number>();
  const byDest = new Map<RelPath, number>();
  moves.forEach((m, i) => {
    bySource.set(m.from, i);
    byDest.set(m.to, i);
  });
  /** For each directory move, the moves whose source lies strictly below its source. */
  const outOf = new Map<number, number[]>();
  moves.forEach((m, i) => {
    for (let a = m.from; a !== ''; ) {
      a = parentOf(a);
      const j = bySource.get(a);
      if (j !== undefined && moves[j]?.isDir) {
        const list = outOf.get(j);
        if (list) list.push(i);
        else outOf.set(j, [i]);
      }
    }
  });
  const before = (i: number): number[] => {
    const m = moves[i] as Move;
    const deps: number[] = [];
    const away = bySource.get(m.to);
    if (away !== undefined && away !== i) deps.push(away);
    for (const j of outOf.get(i) ?? []) deps.push(j);
    for (let a = m.to; a !== ''; ) {
      a = parentOf(a);
      const j = byDest.get(a);
      if (j !== undefined) {
        deps.push(j);
        break;
      }
    }
    return deps;
  };
  const state = new Uint8Array(moves.length); // 0 new, 1 in progress, 2 done
  const given = new Uint8Array(moves.length);
  const ordered: Move[] = [];
  const givenUp: Move[] = [];
  for (let start = 0; start < moves.length; start++) {
    if (state[start] !== 0) continue;
    // Iterative depth-first search (chains of renames can be long).
    const stack: Array<{ i: number; deps: number[]; k: number }> = [{ i: start, deps: before(start), k: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { i: number; deps: number[]; k: number };
      if (!given[top.i] && top.k < top.deps.length) {
        const d = top.deps[top.k++] as number;
        if (state[d] === 0) {
          state[d] = 1;
          stack.push({ i: d, deps: before(d), k: 0 });
        } else if (state[d] === 1) {
          given[top.i] = 1; // closes a cycle
        }
        continue;
      }
      stack.pop();
      state[top.i] = 2;
      if (given[top.i]) givenUp.push(moves[top.i] as Move);
      else ordered.push(moves[top.i] as Move);
    }
  }
  return { ordered, givenUp };
}
