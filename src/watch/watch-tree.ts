import { joinRel, type RelPath } from '../core/path.js';

/** One watched directory. `path` is kept current: a move rewrites it for the whole subtree. */
export interface WatchNode {
  readonly wd: number;
  name: RelPath;
  path: RelPath;
  parent: WatchNode | undefined;
  /** Watched subdirectories by name; absent while there are none. */
  children: Map<RelPath, WatchNode> | undefined;
  /** Its listing failed (it moved or vanished before it was read): list it again once its new path is known. */
  incomplete: boolean;
}

export interface AttachResult {
  node: WatchNode;
  /** True when the watch is new to the tree, i.e. the directory has not been walked yet. */
  fresh: boolean;
  /** Nodes that sat at the same path for another inode: removed; their watches should be removed too. */
  detached: WatchNode[];
  /** When an existing node moved here: the nodes of its subtree still to be listed (see `incomplete`). */
  incomplete: WatchNode[];
}

/**
 * The watched directories as a tree keyed by watch descriptor (wd) and by name under each parent.
 * Pure bookkeeping: no system calls. The root has name '' and path ''.
 *
 * Invariants: every node is reachable from the root and is in the wd index; a path names at most
 * one node; a node's `path` is its parent's path joined with its name.
 */
export class WatchTree {
  readonly #byWd = new Map<number, WatchNode>();
  #root: WatchNode | undefined;

  get size(): number {
    return this.#byWd.size;
  }

  get root(): WatchNode | undefined {
    return this.#root;
  }

  setRoot(wd: number): WatchNode {
    if (this.#root) this.detach(this.#root);
    const root: WatchNode = { wd, name: '', path: '', parent: undefined, children: undefined, incomplete: false };
    this.#root = root;
    this.#byWd.set(wd, root);
    return root;
  }

  byWd(wd: number): WatchNode | undefined {
    return this.#byWd.get(wd);
  }

  child(parent: WatchNode, name: RelPath): WatchNode | undefined {
    return parent.children?.get(name);
  }

  /** The node watching `path`, if any. */
  find(path: RelPath): WatchNode | undefined {
    let node = this.#root;
    if (path === '' || !node) return node;
    for (const name of path.split('/')) {
      node = node.children?.get(name);
      if (!node) return undefined;
    }
    return node;
  }

  /**
   * Records that `parent/name` is watched by `wd` (as returned by inotify_add_watch, which returns
   * the existing wd when the inode is already watched). A wd already in the tree elsewhere means
   * the directory moved there: its node (and subtree) moves. Returns undefined when attaching
   * would make a cycle (a bind mount of an ancestor): such a path is not watched twice.
   */
  attach(parent: WatchNode, name: RelPath, wd: number): AttachResult | undefined {
    const existing = this.#byWd.get(wd);
    const atPath = parent.children?.get(name);
    if (existing && existing === atPath) return { node: existing, fresh: false, detached: [], incomplete: [] };
    if (existing && isAncestorOrSelf(existing, parent)) return undefined;
    const detached = atPath ? this.detach(atPath) : [];
    if (existing) {
      const incomplete = this.#relink(existing, parent, name);
      return { node: existing, fresh: false, detached, incomplete };
    }
    const node: WatchNode = { wd, name, path: joinRel(parent.path, name), parent, children: undefined, incomplete: false };
    (parent.children ??= new Map()).set(name, node);
    this.#byWd.set(wd, node);
    return { node, fresh: true, detached, incomplete: [] };
  }

  /**
   * Moves `node` to `parent/name` (a rename inside the tree) and rewrites the paths below it.
   * Returns the nodes that were detached because they sat at the destination, and the nodes of
   * the moved subtree that are `incomplete` (to be listed again at their new paths).
   */
  move(node: WatchNode, parent: WatchNode, name: RelPath): { detached: WatchNode[]; incomplete: WatchNode[] } {
    if (isAncestorOrSelf(node, parent)) throw new Error(`cannot move ${node.path} below itself`);
    const atPath = parent.children?.get(name);
    const detached = atPath && atPath !== node ? this.detach(atPath) : [];
    return { detached, incomplete: this.#relink(node, parent, name) };
  }

  /** Removes `node` and its subtree; returns the removed nodes (node first). */
  detach(node: WatchNode): WatchNode[] {
    const removed: WatchNode[] = [];
    if (node.parent) {
      const siblings = node.parent.children;
      if (siblings?.get(node.name) === node) {
        siblings.delete(node.name);
        if (siblings.size === 0) node.parent.children = undefined;
      }
      node.parent = undefined;
    } else if (node === this.#root) {
      this.#root = undefined;
    }
    const stack = [node];
    for (let n = stack.pop(); n; n = stack.pop()) {
      removed.push(n);
      if (this.#byWd.get(n.wd) === n) this.#byWd.delete(n.wd);
      if (n.children) for (const c of n.children.values()) stack.push(c);
    }
    return removed;
  }

  /** True when `node` is still part of the tree. */
  has(node: WatchNode): boolean {
    return this.#byWd.get(node.wd) === node;
  }

  /** Every watched path (root first, parents before children). */
  paths(): RelPath[] {
    const out: RelPath[] = [];
    const stack = this.#root ? [this.#root] : [];
    for (let n = stack.pop(); n; n = stack.pop()) {
      out.push(n.path);
      if (n.children) for (const c of n.children.values()) stack.push(c);
    }
    return out;
  }

  /** Relinks and rewrites paths below; returns the incomplete nodes of the subtree. */
  #relink(node: WatchNode, parent: WatchNode, name: RelPath): WatchNode[] {
    const old = node.parent;
    if (old?.children?.get(node.name) === node) {
      old.children.delete(node.name);
      if (old.children.size === 0) old.children = undefined;
    }
    node.parent = parent;
    node.name = name;
    (parent.children ??= new Map()).set(name, node);
    const incomplete: WatchNode[] = [];
    const stack = [node];
    for (let n = stack.pop(); n; n = stack.pop()) {
      n.path = n.parent ? joinRel(n.parent.path, n.name) : '';
      if (n.incomplete) incomplete.push(n);
      if (n.children) for (const c of n.children.values()) stack.push(c);
    }
    return incomplete;
  }
}

/** True when `n` is `a` or lies below it. */
export function isAncestorOrSelf(a: WatchNode, n: WatchNode | undefined): boolean {
  for (let p = n; p; p = p.parent) if (p === a) return true;
  return false;
}
