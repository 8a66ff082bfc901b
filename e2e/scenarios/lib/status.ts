/**
 * Reading a daemon's status during a scenario: one read, a sampler that polls on an interval
 * (bounded in time and count) and keeps the samples for figures, and `awaitQuiet`.
 */
import { retry } from 'zx';
import type { DaemonStatus, ReplicaStatus } from '../../../src/core/status.js';
import type { NodeSession } from '../../harness/node.js';
import { fixedInterval, poll } from '../../harness/poll.js';

/** Where the daemon on a node serves its status (its default as root: /run is the node's own). */
export const STATUS_SOCKET = '/run/livemirror.sock';

/**
 * The daemon's status straight from its socket (what `livemirror status --json` fetches), with
 * curl: the CLI costs ~0.7 s of CPU per call here (2 CPUs shared by the nodes), which at several
 * samples a second would slow down the very replication whose lag it samples.
 */
export async function statusViaSocket(node: NodeSession): Promise<DaemonStatus> {
  return (await node.$`curl -sS --max-time 5 --unix-socket ${STATUS_SOCKET} http://localhost/status`.timeout(10_000)).json<DaemonStatus>();
}

/** One status read that a busy moment does not fail (three tries, 250 ms apart). */
export async function readStatus(node: NodeSession): Promise<DaemonStatus> {
  return await retry(3, '250ms', () => statusViaSocket(node));
}

/** The named replica of a status; throws (naming the ones there are) when it has none. */
export function replicaOf(st: DaemonStatus, name: string): ReplicaStatus {
  const r = st.replicas.find((x) => x.name === name);
  if (!r) throw new Error(`no replica ${name} in the status of pid ${st.pid} (have ${st.replicas.map((x) => x.name).join(', ')})`);
  return r;
}

/** ms from the daemon's start to ready (0 while not ready). */
export const readyMs = (st: DaemonStatus): number => (st.readyAt === undefined ? 0 : st.readyAt - st.startedAt);

/** Batches completed by all replicas of all the statuses. */
export const batchesOf = (sts: readonly DaemonStatus[]): number => sts.reduce((a, st) => a + st.replicas.reduce((b, r) => b + r.batches, 0), 0);

/**
 * What a replica was doing at `at`, for a failed check: state, queue, lag, the last error and
 * when the next attempt is due.
 */
export function describeReplica(r: ReplicaStatus, at: number): string {
  const parts = [`${r.name} ${r.state}`, `queued ${r.queued}`, `inFlight ${r.inFlight}`, `lag ${r.lagMs} ms`, `attempts ${r.attempts}`];
  if (r.resyncReason) parts.push(`resync: ${r.resyncReason}`);
  if (r.lastError) {
    const code = r.lastError.exitCode === undefined ? '' : ` (exit ${r.lastError.exitCode})`;
    parts.push(`last error ${Math.round(at - r.lastError.time)} ms before${code}: ${r.lastError.message.split('\n')[0] ?? ''}`);
  }
  if (r.nextAttempt !== undefined) parts.push(`next attempt in ${Math.round(r.nextAttempt - at)} ms`);
  return parts.join(', ');
}

export interface StatusSample {
  /** When the reads were sent (ms since the epoch; the nodes share the machine's clock). */
  readonly at: number;
  /** One status per sampled node, in the order the nodes were given. */
  readonly statuses: readonly DaemonStatus[];
}

export interface SampleOptions {
  /** Pause between samples (ms). */
  readonly everyMs: number;
  /** Stop after this long (ms). */
  readonly maxMs: number;
  /** Stop after this many samples. Default: as many as `maxMs` fits at `everyMs`. */
  readonly maxSamples?: number;
  /** Stop once this holds (checked after every sample). */
  readonly until?: (latest: StatusSample) => boolean;
  /**
   * Count a read that fails (a node too busy to answer within curl's 5 s) and go on, instead of
   * ending the sampling with its error. Default false.
   */
  readonly skipFailedReads?: boolean;
}

export interface StatusSamples {
  readonly samples: readonly StatusSample[];
  readonly failedReads: number;
  /** True when `until` held; false when time or count ran out. */
  readonly stopped: boolean;
  readonly elapsedMs: number;
}

/**
 * Polls the status of `nodes` (all at once per sample) every `everyMs` over their sockets,
 * bounded by `maxMs` and `maxSamples`, until `until` holds; keeps every sample.
 */
export async function sampleStatus(nodes: readonly NodeSession[], opts: SampleOptions): Promise<StatusSamples> {
  const samples: StatusSample[] = [];
  let failedReads = 0;
  const bounds = fixedInterval(opts.maxMs, opts.everyMs);
  const r = await poll(
    async () => {
      const at = Date.now();
      let statuses: DaemonStatus[];
      try {
        statuses = await Promise.all(nodes.map((n) => statusViaSocket(n)));
      } catch (e) {
        if (!opts.skipFailedReads) throw e;
        failedReads++;
        return { done: false, value: undefined };
      }
      const sample = { at, statuses };
      samples.push(sample);
      return { done: opts.until?.(sample) ?? false, value: undefined };
    },
    { ...bounds, maxAttempts: opts.maxSamples ?? bounds.maxAttempts },
  );
  return { samples, failedReads, stopped: r.ok, elapsedMs: r.elapsedMs };
}

export interface Quiet {
  readonly ok: boolean;
  /** Batches the daemons completed from the first sample on. */
  readonly batches: number;
  readonly elapsedMs: number;
  /** What was still busy at the end, or how long it took to be sure. */
  readonly detail: string;
}

/**
 * Waits until replication on `nodes` is quiet: every daemon idle (nothing settling, queued or in
 * flight) and the sum of their batch counters unchanged for `quietMs`; bounded by `deadlineMs`.
 */
export async function awaitQuiet(nodes: readonly NodeSession[], opts: { quietMs: number; deadlineMs: number; everyMs?: number }): Promise<Quiet> {
  let first: number | undefined;
  let lastSum = -1;
  let lastActivityAt = Date.now();
  let detail = '';
  const r = await sampleStatus(nodes, {
    everyMs: opts.everyMs ?? 200,
    maxMs: opts.deadlineMs,
    until: ({ at, statuses }) => {
      const sum = batchesOf(statuses);
      first ??= sum;
      const busy = statuses.flatMap((st, k) => [
        ...(st.settling > 0 ? [`${nodes[k]?.name} settling ${st.settling}`] : []),
        ...st.replicas.filter((x) => x.state !== 'idle' || x.queued > 0 || x.inFlight > 0).map((x) => `${nodes[k]?.name}→${x.name} ${x.state} q${x.queued} f${x.inFlight}`),
      ]);
      if (busy.length > 0 || sum !== lastSum) lastActivityAt = at;
      lastSum = sum;
      detail = `${busy.length ? `busy: ${busy.slice(0, 6).join(', ')}; ` : ''}batches ${sum - first} since the first poll`;
      return at - lastActivityAt >= opts.quietMs;
    },
  });
  const batches = lastSum - (first ?? lastSum);
  return { ok: r.stopped, batches, elapsedMs: r.elapsedMs, detail: r.stopped ? `${detail}; quiet confirmed after ${r.elapsedMs.toFixed(0)} ms` : detail };
}
