import { createRng, type Rng } from './prng.js';

/**
 * Seeded churn, the pure half: a planner that keeps a model of one subtree and emits operations
 * that are valid against it (a rename's source exists, a new name is free). The same seed and
 * options give the same operations, batch after batch. The effectful half (churn.ts) runs them
 * on a node.
 *
 * Paths are byte strings (latin1: one char per byte), relative to the data root, never with a
 * leading or trailing '/'. Names may be any bytes but '/' and NUL, including non-UTF-8.
 */
export type ChurnOp =
  | { readonly op: 'write'; readonly path: string; readonly size: number; readonly seed: number }
  | { readonly op: 'modify'; readonly path: string; readonly offset: number; readonly size: number; readonly seed: number }
  | { readonly op: 'append'; readonly path: string; readonly size: number; readonly seed: number }
  | { readonly op: 'truncate'; readonly path: string; readonly size: number }
  | { readonly op: 'unlink'; readonly path: string }
  | { readonly op: 'rename'; readonly from: string; readonly to: string }
  | { readonly op: 'mkdirp'; readonly path: string }
  | { readonly op: 'rmrf'; readonly path: string }
  | { readonly op: 'chmod'; readonly path: string; readonly mode: number }
  | { readonly op: 'symlink'; readonly path: string; readonly target: string };

export type ChurnKind =
  | 'create'
  | 'modify'
  | 'append'
  | 'truncate'
  | 'delete'
  | 'renameFile'
  | 'renameDir'
  | 'mkdirp'
  | 'rmrf'
  | 'chmod'
  | 'symlink';

export interface ChurnOptions {
  /** The subtree (relative to the data root) churn is confined to; the first batch creates it. */
  readonly subtree: string;
  /** Deepest directory level below the subtree. Default 4. */
  readonly maxDepth?: number;
  /** Largest file. Default 256 KiB. */
  readonly maxFileBytes?: number;
  /** Above this total the planner stops growing files. Default 32 MiB. */
  readonly maxTotalBytes?: number;
  /** Probability that a new name is a hostile one (spaces, quotes, newline, non-UTF-8...). Default 0.15. */
  readonly weirdNames?: number;
  readonly weights?: Partial<Record<ChurnKind, number>>;
}

export type ModelType = 'file' | 'dir' | 'link';

export interface ModelEntry {
  readonly type: ModelType;
  /** File size in bytes; 0 for directories; target length for links. */
  readonly size: number;
}

const DEFAULT_WEIGHTS: Readonly<Record<ChurnKind, number>> = {
  create: 24,
  modify: 10,
  append: 10,
  truncate: 5,
  delete: 8,
  renameFile: 8,
  renameDir: 3,
  mkdirp: 8,
  rmrf: 2,
  chmod: 6,
  symlink: 5,
};

const u8 = (s: string): string => Buffer.from(s, 'utf8').toString('latin1');

/** Name stems that break naive scripts; a random suffix keeps them unique. */
const WEIRD_STEMS: readonly string[] = [
  'with space',
  ' lead',
  "it's",
  'dq"x',
  '-rf',
  '--delete',
  'nl\nx',
  'tab\tx',
  '$(id)`id`',
  '*?[a]',
  'back\\slash',
  '.hidden',
  '~tilde',
  '#hash',
  u8('été'),
  u8('日本語'),
  u8('😀'),
  '\xff\xfe',
  'latin1-\xe9',
  'x'.repeat(180),
];

const FILE_MODES = [0o644, 0o600, 0o640, 0o755, 0o444] as const;
const DIR_MODES = [0o755, 0o700, 0o750, 0o775] as const;

const isWithin = (p: string, dir: string): boolean => p === dir || p.startsWith(dir + '/');

export class ChurnPlanner {
  private readonly rng: Rng;
  private readonly model = new Map<string, ModelEntry>();
  private readonly opts: Required<Omit<ChurnOptions, 'weights'>> & { weights: Record<ChurnKind, number> };
  private totalBytes = 0;
  private started = false;

  constructor(seed: string, options: ChurnOptions) {
    const subtree = options.subtree.replace(/^\/+|\/+$/g, '');
    if (subtree === '' || subtree.split('/').some((c) => c === '' || c === '.' || c === '..')) {
      throw new Error(`churn subtree must be a relative path below the root, got '${options.subtree}'`);
    }
    this.rng = createRng(seed);
    this.opts = {
      subtree,
      maxDepth: options.maxDepth ?? 4,
      maxFileBytes: options.maxFileBytes ?? 256 * 1024,
      maxTotalBytes: options.maxTotalBytes ?? 32 * 1024 * 1024,
      weirdNames: options.weirdNames ?? 0.15,
      weights: { ...DEFAULT_WEIGHTS, ...options.weights },
    };
  }

  /** The next `count` operations (the first batch starts with `mkdirp subtree`). */
  next(count: number): ChurnOp[] {
    if (!Number.isInteger(count) || count < 0 || count > 1_000_000) throw new Error(`bad churn count ${count}`);
    const ops: ChurnOp[] = [];
    if (!this.started) {
      this.started = true;
      ops.push(this.apply({ op: 'mkdirp', path: this.opts.subtree }));
    }
    while (ops.length < count) ops.push(this.apply(this.plan()));
    return ops;
  }

  /** The modelled subtree after every operation emitted so far (path → type and size). */
  expected(): ReadonlyMap<string, ModelEntry> {
    return this.model;
  }

  private plan(): ChurnOp {
    const files = this.pathsOf('file');
    const links = this.pathsOf('link');
    const dirs = this.pathsOf('dir');
    const innerDirs = dirs.filter((d) => d !== this.opts.subtree);
    const full = this.totalBytes >= this.opts.maxTotalBytes;
    const w = this.opts.weights;
    const kind = this.rng.weighted<ChurnKind>([
      ['create', full ? 0 : w.create],
      ['modify', files.length && !full ? w.modify : 0],
      ['append', files.length && !full ? w.append : 0],
      ['truncate', files.length ? w.truncate * (full ? 4 : 1) : 0],
      ['delete', files.length + links.length ? w.delete * (full ? 4 : 1) : 0],
      ['renameFile', files.length + links.length ? w.renameFile : 0],
      ['renameDir', innerDirs.length ? w.renameDir : 0],
      ['mkdirp', w.mkdirp],
      ['rmrf', innerDirs.length ? w.rmrf : 0],
      ['chmod', files.length + dirs.length ? w.chmod : 0],
      ['symlink', w.symlink],
    ]);
    const r = this.rng;
    switch (kind) {
      case 'create': {
        const dir = r.pick(this.dirsWithRoom(dirs, 1));
        return { op: 'write', path: this.freshPath(dir, 'f'), size: this.fileSize(), seed: r.uint32() };
      }
      case 'modify': {
        const path = r.pick(files);
        const size = this.sizeOf(path);
        const offset = size === 0 ? 0 : r.int(size);
        const len = Math.max(1, Math.min(r.range(1, 4096), this.opts.maxFileBytes - offset));
        return { op: 'modify', path, offset, size: len, seed: r.uint32() };
      }
      case 'append': {
        const path = r.pick(files);
        const room = Math.max(1, this.opts.maxFileBytes - this.sizeOf(path));
        return { op: 'append', path, size: Math.min(room, r.range(1, 16384)), seed: r.uint32() };
      }
      case 'truncate': {
        const path = r.pick(files);
        const size = this.sizeOf(path);
        const to = full ? r.int(size + 1) : Math.min(this.opts.maxFileBytes, r.int(size * 2 + 2));
        return { op: 'truncate', path, size: to };
      }
      case 'delete':
        return { op: 'unlink', path: r.pick([...files, ...links]) };
      case 'renameFile': {
        const from = r.pick([...files, ...links]);
        // Sometimes replace an existing file (the editor's "write temp, rename over" pattern).
        const victims = files.filter((f) => f !== from);
        if (victims.length && r.chance(0.3)) return { op: 'rename', from, to: r.pick(victims) };
        return { op: 'rename', from, to: this.freshPath(r.pick(this.dirsWithRoom(dirs, 1)), 'f') };
      }
      case 'renameDir': {
        const from = r.pick(innerDirs);
        const height = this.heightOf(from);
        const targets = this.dirsWithRoom(dirs, height + 1).filter((d) => !isWithin(d, from));
        if (targets.length === 0) return { op: 'mkdirp', path: this.freshPath(this.opts.subtree, 'd') };
        return { op: 'rename', from, to: this.freshPath(r.pick(targets), 'd') };
      }
      case 'mkdirp': {
        let path = r.pick(this.dirsWithRoom(dirs, 1));
        const levels = r.range(1, 3);
        for (let i = 0; i < levels && this.depthOf(path) < this.opts.maxDepth; i++) path = this.freshPath(path, 'd');
        return { op: 'mkdirp', path };
      }
      case 'rmrf':
        return { op: 'rmrf', path: r.pick(innerDirs) };
      case 'chmod': {
        const path = r.pick([...files, ...dirs]);
        const isDir = this.model.get(path)?.type === 'dir';
        return { op: 'chmod', path, mode: isDir ? r.pick(DIR_MODES) : r.pick(FILE_MODES) };
      }
      case 'symlink': {
        const dir = r.pick(this.dirsWithRoom(dirs, 1));
        const path = this.freshPath(dir, 'l');
        const all = [...files, ...dirs];
        const target = r.chance(0.6) && all.length ? relative(dir, r.pick(all)) : `dangling-${r.uint32().toString(36)}`;
        return { op: 'symlink', path, target };
      }
    }
  }

  /** Updates the model with `op` (which `plan` made valid) and returns it. */
  private apply(op: ChurnOp): ChurnOp {
    const m = this.model;
    switch (op.op) {
      case 'write':
        this.setFile(op.path, op.size);
        break;
      case 'modify':
        this.setFile(op.path, Math.max(this.sizeOf(op.path), op.offset + op.size));
        break;
      case 'append':
        this.setFile(op.path, this.sizeOf(op.path) + op.size);
        break;
      case 'truncate':
        this.setFile(op.path, op.size);
        break;
      case 'unlink':
        this.remove(op.path);
        break;
      case 'rename': {
        const moved = [...m.entries()].filter(([p]) => isWithin(p, op.from));
        if (m.has(op.to)) this.remove(op.to);
        for (const [p] of moved) m.delete(p);
        for (const [p, e] of moved) m.set(op.to + p.slice(op.from.length), e);
        break;
      }
      case 'mkdirp': {
        // Only the subtree and what is below it is modelled (its parents are not churn's).
        const parts = op.path.split('/');
        for (let i = this.opts.subtree.split('/').length; i <= parts.length; i++) {
          const p = parts.slice(0, i).join('/');
          if (!m.has(p)) m.set(p, { type: 'dir', size: 0 });
        }
        break;
      }
      case 'rmrf':
        this.remove(op.path);
        break;
      case 'chmod':
        break;
      case 'symlink':
        m.set(op.path, { type: 'link', size: op.target.length });
        break;
    }
    return op;
  }

  private setFile(path: string, size: number): void {
    this.totalBytes += size - this.sizeOf(path);
    this.model.set(path, { type: 'file', size });
  }

  private remove(path: string): void {
    for (const [p, e] of [...this.model.entries()]) {
      if (!isWithin(p, path)) continue;
      if (e.type === 'file') this.totalBytes -= e.size;
      this.model.delete(p);
    }
  }

  private sizeOf(path: string): number {
    const e = this.model.get(path);
    return e?.type === 'file' ? e.size : 0;
  }

  private pathsOf(type: ModelType): string[] {
    const out: string[] = [];
    for (const [p, e] of this.model) if (e.type === type) out.push(p);
    return out;
  }

  /** Levels below the subtree root (the root itself is 0). */
  private depthOf(path: string): number {
    return path === this.opts.subtree ? 0 : path.slice(this.opts.subtree.length + 1).split('/').length;
  }

  /** Levels a directory's contents reach below it (an empty directory is 0). */
  private heightOf(dir: string): number {
    let h = 0;
    const base = this.depthOf(dir);
    for (const p of this.model.keys()) if (p.startsWith(dir + '/')) h = Math.max(h, this.depthOf(p) - base);
    return h;
  }

  /** Directories that can take `levels` more levels below them without passing maxDepth. */
  private dirsWithRoom(dirs: readonly string[], levels: number): string[] {
    const ok = dirs.filter((d) => this.depthOf(d) + levels <= this.opts.maxDepth);
    return ok.length ? ok : [this.opts.subtree];
  }

  private fileSize(): number {
    const r = this.rng;
    const max = this.opts.maxFileBytes;
    const x = r.next();
    if (x < 0.05) return 0;
    if (x < 0.75) return Math.min(max, r.range(1, 4096));
    if (x < 0.95) return Math.min(max, r.range(4097, 65536));
    return r.range(Math.min(max, 65537), max);
  }

  /** A name not yet present in `dir`. */
  private freshPath(dir: string, kind: 'f' | 'd' | 'l'): string {
    for (let i = 0; i < 16; i++) {
      const suffix = this.rng.uint32().toString(36);
      const name = this.rng.chance(this.opts.weirdNames) ? `${this.rng.pick(WEIRD_STEMS)}.${suffix}` : `${kind}${suffix}`;
      const path = `${dir}/${name}`;
      if (!this.model.has(path)) return path;
    }
    throw new Error('could not find a free name in 16 tries');
  }
}

/** A relative symlink target that reaches `target` from directory `fromDir`. */
export function relative(fromDir: string, target: string): string {
  const a = fromDir.split('/');
  const b = target.split('/');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const up = a.slice(i).map(() => '..');
  const rest = b.slice(i);
  const parts = [...up, ...rest];
  return parts.length ? parts.join('/') : '.';
}
