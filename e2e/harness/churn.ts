import { randomBytes } from 'node:crypto';
import type { ChurnOp } from './churn-plan.js';
import { chooseSeed } from './prng.js';
import { runRemoteScript } from './remote-script.js';
import type { TreeNode } from './tree.js';

export { ChurnPlanner, type ChurnOp, type ChurnOptions } from './churn-plan.js';

/** The seed for this run: SEED from the environment, else fresh; printed so a failure can be replayed. */
export function churnSeed(log: (line: string) => void = console.log): string {
  const seed = chooseSeed(process.env, () => randomBytes(6).toString('hex'));
  log(`churn seed: ${seed}   (replay with SEED=${seed})`);
  return seed;
}

const b64 = (byteString: string): string => Buffer.from(byteString, 'latin1').toString('base64');

/** The ops as remote/churn.mjs reads them: every path and symlink target base64 of its bytes. */
export function encodeOps(ops: readonly ChurnOp[]): Record<string, unknown>[] {
  return ops.map((o) => {
    switch (o.op) {
      case 'rename':
        return { op: o.op, from: b64(o.from), to: b64(o.to) };
      case 'symlink':
        return { op: o.op, path: b64(o.path), target: b64(o.target) };
      default:
        return { ...o, path: b64(o.path) };
    }
  });
}

export interface ChurnRunOptions {
  /** Pace: operations per second; 0 (default) runs them as fast as possible. */
  readonly opsPerSecond?: number;
  /** Stop (and report) after this long. Default 120 000 ms. */
  readonly deadlineMs?: number;
  /** Count failing ops instead of stopping at the first one. Default false. */
  readonly tolerant?: boolean;
  /** The data root the op paths are relative to. Default: the node's data dir. */
  readonly root?: string;
}

export interface ChurnResult {
  readonly applied: number;
  readonly failed: readonly { index: number; op: string; code: string; message: string }[];
  readonly elapsedMs: number;
  readonly stoppedByDeadline: boolean;
}

/** Executes `ops` on the node (one remote process, paced there). Throws if an op failed and not tolerant. */
export async function runChurn(node: TreeNode, ops: readonly ChurnOp[], opts: ChurnRunOptions = {}): Promise<ChurnResult> {
  const deadlineMs = opts.deadlineMs ?? 120_000;
  const r = await runRemoteScript<ChurnResult>(
    node,
    'churn',
    {
      root: opts.root ?? node.info.dataDir,
      ops: encodeOps(ops),
      opsPerSecond: opts.opsPerSecond ?? 0,
      deadlineMs,
      tolerant: opts.tolerant ?? false,
    },
    { timeoutMs: deadlineMs + 30_000 },
  );
  if (!opts.tolerant && r.failed.length) {
    const f = r.failed[0];
    throw new Error(`${node.name}: churn op #${f?.index} (${f?.op}) failed: ${f?.code} ${f?.message}`);
  }
  return r;
}

export interface UploadOptions {
  readonly totalBytes: number;
  /** Time from the first chunk to the last. */
  readonly durationMs: number;
  readonly chunks: number;
  /** Content seed. Default 1. */
  readonly seed?: number;
  /** fsync after every chunk. Default false. */
  readonly fsync?: boolean;
}

export interface UploadResult {
  readonly bytes: number;
  readonly chunks: number;
  readonly elapsedMs: number;
}

/**
 * A slow upload: the node writes `path` (absolute; a Buffer for non-UTF-8 names) in `chunks`
 * spread over `durationMs`, holding it open throughout (like an FTP server receiving a file).
 * Resolves when the file is closed; start it without awaiting to act meanwhile.
 */
export async function upload(node: TreeNode, path: string | Buffer, opts: UploadOptions): Promise<UploadResult> {
  const raw = typeof path === 'string' ? Buffer.from(path, 'utf8') : path;
  if (raw[0] !== 0x2f) throw new Error('upload path must be absolute');
  if (!(opts.chunks >= 1 && opts.chunks <= 1_000_000 && opts.totalBytes >= 0 && opts.durationMs >= 0)) {
    throw new Error('upload: invalid chunks/totalBytes/durationMs');
  }
  return runRemoteScript<UploadResult>(
    node,
    'upload',
    {
      path: raw.toString('base64'),
      totalBytes: opts.totalBytes,
      chunks: opts.chunks,
      durationMs: opts.durationMs,
      seed: opts.seed ?? 1,
      fsync: opts.fsync ?? false,
    },
    { timeoutMs: opts.durationMs + 60_000 },
  );
}
