import { joinBytes, joinRel, type RelPath } from '../core/path.js';
import type { FsEvent } from '../core/event.js';
import { awaitsClose } from './awaits-close.js';
import { pairMoves } from './inotify-moves.js';
import { WatchError } from './source.js';
import {
  IN_ATTRIB,
  IN_CLOSE_WRITE,
  IN_CREATE,
  IN_DELETE,
  IN_DELETE_SELF,
  IN_IGNORED,
  IN_ISDIR,
  IN_MODIFY,
  IN_MOVE_SELF,
  IN_MOVED_FROM,
  IN_MOVED_TO,
  IN_Q_OVERFLOW,
  type InotifyRecord,
} from './sys/inotify-event.js';
import type { WatchSet } from './watch-set.js';
import type { WatchNode } from './watch-tree.js';

/**
 * Turns inotify records into FsEvents and keeps the watches in step with what they report.
 *
 * Contract: `translate` appends to `out` in kernel order; a new directory (created or moved in)
 * is watched with its subtree before its `create` is appended; a rename inside the tree is one
 * `move` (both halves must be in `records`, see inotify-moves.ts); IN_Q_OVERFLOW re-walks the
 * whole tree, then appends `overflow ''`. It throws (leaving the events so far in `out`) a
 * WatchError when the root itself is deleted or moved, and a SysCallError when a watch cannot be
 * added for a reason other than the directory vanishing. Calls must not overlap.
 */
export class InotifyTranslator {
  #overflows = 0;

  constructor(
    private readonly watches: WatchSet,
    private readonly isExcluded: (path: RelPath, isDir: boolean) => boolean,
    private readonly rootDisplay: string,
  ) {}

  get overflows(): number {
    return this.#overflows;
  }

  async translate(records: readonly InotifyRecord[], time: number, out: FsEvent[]): Promise<void> {
    const partners = pairMoves(records);
    const consumed = new Set<number>();
    const { tree } = this.watches;
    for (let i = 0; i < records.length; i++) {
      const r = records[i];
      if (r === undefined || consumed.has(i)) continue;
      if ((r.mask & IN_Q_OVERFLOW) !== 0) {
        await this.overflow(time, out);
        continue;
      }
      const node = tree.byWd(r.wd);
      if (!node) {
        // A watch we no longer track (its directory left the tree or was replaced): make sure it is gone.
        if ((r.mask & IN_IGNORED) === 0) this.watches.rmWatch(r.wd);
        continue;
      }
      if (r.name === '') {
        await this.selfEvent(node, r, time, out);
        continue;
      }
      const isDir = (r.mask & IN_ISDIR) !== 0;
      const path = joinRel(node.path, r.name);
      if ((r.mask & IN_MOVED_FROM) !== 0) {
        const j = partners.get(i);
        const to = j === undefined ? undefined : records[j];
        const toNode = to && tree.byWd(to.wd);
        if (j !== undefined && to && toNode) {
          consumed.add(j);
          await this.move(node, r.name, toNode, to.name, isDir, time, out);
        } else {
          this.movedOut(node, r.name, isDir, time, out);
        }
      } else if ((r.mask & (IN_CREATE | IN_MOVED_TO)) !== 0) {
        await this.created(node, r.name, isDir, (r.mask & IN_MOVED_TO) !== 0, time, out);
      } else if (this.isExcluded(path, isDir)) {
        continue;
      } else if ((r.mask & IN_DELETE) !== 0) {
        // The directory's own watch goes with IN_DELETE_SELF/IN_IGNORED on its wd.
        out.push({ kind: 'delete', path, isDir, time });
      } else if ((r.mask & IN_MODIFY) !== 0) {
        out.push({ kind: 'modify', path, isDir, closed: false, time });
      } else if ((r.mask & IN_CLOSE_WRITE) !== 0) {
        out.push({ kind: 'modify', path, isDir, closed: true, time });
      } else if ((r.mask & IN_ATTRIB) !== 0) {
        out.push({ kind: 'attrib', path, isDir, time });
      }
    }
  }

  /**
   * IN_CREATE, or an IN_MOVED_TO without its IN_MOVED_FROM (moved in from outside).
   * A new regular file is reported open (`closed: false`): its writer's IN_CLOSE_WRITE follows, and
   * until then settle holds it, so an upload whose first bytes come late is never sent empty.
   * A moved-in file, a symlink, a hard link or any other non-file is complete as it stands
   * (`closed: true`; awaits-close.ts).
   */
  private async created(parent: WatchNode, name: RelPath, isDir: boolean, movedIn: boolean, time: number, out: FsEvent[]): Promise<void> {
    const path = joinRel(parent.path, name);
    if (this.isExcluded(path, isDir)) return;
    if (isDir) {
      await this.watches.watchNew(parent, name);
      out.push({ kind: 'create', path, isDir, time });
      return;
    }
    out.push({ kind: 'create', path, isDir, closed: movedIn || !awaitsClose(joinBytes(this.rootDisplay, path)), time });
  }

  /** An IN_MOVED_FROM without its IN_MOVED_TO: moved out of the tree. */
  private movedOut(parent: WatchNode, name: RelPath, isDir: boolean, time: number, out: FsEvent[]): void {
    const path = joinRel(parent.path, name);
    if (isDir) this.watches.unwatchChild(parent, name);
    if (!this.isExcluded(path, isDir)) out.push({ kind: 'delete', path, isDir, time });
  }

  private async move(
    fromParent: WatchNode,
    fromName: RelPath,
    toParent: WatchNode,
    toName: RelPath,
    isDir: boolean,
    time: number,
    out: FsEvent[],
  ): Promise<void> {
    const from = joinRel(fromParent.path, fromName);
    const path = joinRel(toParent.path, toName);
    const fromExcluded = this.isExcluded(from, isDir);
    const toExcluded = this.isExcluded(path, isDir);
    if (fromExcluded && toExcluded) return;
    if (toExcluded) return this.movedOut(fromParent, fromName, isDir, time, out);
    if (fromExcluded) return this.created(toParent, toName, isDir, true, time, out);
    if (isDir) await this.watches.move(fromParent, fromName, toParent, toName);
    out.push({ kind: 'move', path, from, isDir, time });
  }

  /** Events about a watched directory itself (no name). */
  private async selfEvent(node: WatchNode, r: InotifyRecord, time: number, out: FsEvent[]): Promise<void> {
    const isRoot = node === this.watches.tree.root;
    if ((r.mask & (IN_DELETE_SELF | IN_MOVE_SELF | IN_IGNORED)) !== 0 && isRoot) {
      const what = (r.mask & IN_MOVE_SELF) !== 0 ? 'moved away' : 'deleted';
      throw new WatchError(
        `the watched root ${this.rootDisplay} was ${what}; nothing below it can be watched any more. ` +
          `Restore it and restart livemirror (it will resync).`,
        'ROOT_GONE',
      );
    }
    if ((r.mask & IN_DELETE_SELF) !== 0) {
      // Its parent reports the delete (IN_DELETE|IN_ISDIR); the kernel drops the watch.
      this.watches.unwatch(node);
    } else if ((r.mask & IN_IGNORED) !== 0) {
      // The kernel dropped a watch we still track, without a delete (e.g. its file system was
      // unmounted): watch the directory again and have its contents rescanned.
      const { parent, name, path } = node;
      this.watches.unwatch(node);
      if (parent && this.watches.tree.has(parent) && (await this.watches.watchNew(parent, name))) {
        this.#overflows++;
        out.push({ kind: 'overflow', path, isDir: true, time });
      }
    } else if ((r.mask & IN_ATTRIB) !== 0 && isRoot) {
      // For other directories the parent's watch reports it (with the name).
      out.push({ kind: 'attrib', path: '', isDir: true, time });
    }
  }

  /** The kernel queue overflowed: events are lost. Repair the watches, then have the root rescanned. */
  private async overflow(time: number, out: FsEvent[]): Promise<void> {
    await this.watches.reconcile();
    this.#overflows++;
    out.push({ kind: 'overflow', path: '', isDir: true, time });
  }
}
