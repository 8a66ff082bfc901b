import { poll } from './poll.js';
import { type RemoteRunner, runRemoteScript } from './remote-script.js';
import { allEqual, diffDigests, formatDivergences, type Divergence, type TreeDigest } from './tree-diff.js';

/** A node the oracle can digest (NodeSession is one). */
export interface TreeNode extends RemoteRunner {
  readonly info: { readonly dataDir: string };
}

export interface DigestOptions {
  /** Tree to digest. Default: the node's data dir. */
  readonly root?: string;
  /** Which mtimes count: files and symlinks (default), also directories ('all'), or none. */
  readonly mtime?: 'files' | 'all' | 'none';
  /** Compare uid/gid too. Default false. */
  readonly owner?: boolean;
  /** Skipped paths (and everything below them): matched against the hex-escaped relative path. */
  readonly exclude?: readonly RegExp[];
}

/**
 * The tree's digest, computed on the node (remote/digest.mjs): a hash over every entry, and with
 * `full` the entries themselves.
 */
export async function digestTree(node: TreeNode, opts: DigestOptions & { full?: boolean } = {}): Promise<TreeDigest> {
  const root = opts.root ?? node.info.dataDir;
  const answer = await runRemoteScript<Omit<TreeDigest, 'node'>>(node, 'digest', {
    root,
    mode: opts.full ? 'full' : 'summary',
    mtime: opts.mtime ?? 'files',
    owner: opts.owner ?? false,
    exclude: (opts.exclude ?? []).map((re) => re.source),
  });
  return { node: node.name, ...answer };
}

/** Full digests of every node, compared: the divergent paths (empty when equal). */
export async function compareTrees(nodes: readonly TreeNode[], opts: DigestOptions = {}): Promise<Divergence[]> {
  const digests = await Promise.all(nodes.map((n) => digestTree(n, { ...opts, full: true })));
  return diffDigests(digests);
}

export interface ConvergeOptions extends DigestOptions {
  /** Give up after this long (ms). */
  readonly deadlineMs: number;
  /** Give up after this many polls. Default 2000. */
  readonly maxPolls?: number;
  /** On timeout, extra context per node (e.g. the daemon's last log lines). */
  readonly explain?: (node: TreeNode) => Promise<string>;
  /** Progress (one line when converged). */
  readonly log?: (line: string) => void;
}

export interface Converged {
  readonly hash: string;
  readonly count: number;
  readonly polls: number;
  readonly elapsedMs: number;
}

export class ConvergenceError extends Error {
  override readonly name = 'ConvergenceError';
  constructor(
    message: string,
    readonly divergences: readonly Divergence[],
  ) {
    super(message);
  }
}

/**
 * Resolves once every node's tree has the same digest; polls with a growing interval (20 ms up
 * to 500 ms), bounded by `deadlineMs` and `maxPolls`, no fixed sleeps. A tree that changed while
 * being digested does not count as converged. On timeout rejects with a ConvergenceError whose
 * message lists the divergent paths (which node has what) and each node's `explain` text.
 */
export async function awaitConverged(nodes: readonly TreeNode[], opts: ConvergeOptions): Promise<Converged> {
  if (nodes.length < 2) throw new Error('awaitConverged needs at least two nodes');
  const r = await poll(
    async () => {
      const digests = await Promise.all(nodes.map((n) => digestTree(n, opts)));
      const done = allEqual(digests) && digests.every((d) => d.vanished === 0);
      return { done, value: digests };
    },
    { deadlineMs: opts.deadlineMs, maxAttempts: opts.maxPolls ?? 2000, initialIntervalMs: 20, maxIntervalMs: 500 },
  );
  if (r.ok) {
    const first = r.value[0] as TreeDigest;
    const res = { hash: first.hash, count: first.count, polls: r.attempts, elapsedMs: r.elapsedMs };
    opts.log?.(`converged: ${nodes.length} nodes, ${res.count} entries, ${res.polls} polls, ${res.elapsedMs.toFixed(0)} ms`);
    return res;
  }
  const divs = await compareTrees(nodes, opts);
  const parts = [
    `not converged after ${r.elapsedMs.toFixed(0)} ms (${r.attempts} polls) on ${nodes.map((n) => n.name).join(', ')}`,
    formatDivergences(divs),
  ];
  if (opts.explain) {
    const texts = await Promise.all(
      nodes.map(async (n) => {
        const text = await opts.explain?.(n).catch((e: unknown) => `(could not explain: ${String(e)})`);
        return `--- ${n.name} ---\n${(text ?? '').trimEnd()}`;
      }),
    );
    parts.push(...texts);
  }
  throw new ConvergenceError(parts.join('\n'), divs);
}
