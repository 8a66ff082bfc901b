/**
 * The one way the benchmark counts rsync runs, for every contestant alike: a /proc scan every
 * 20 ms in a worker thread (proc-sampler.mjs), counting rsync invocations below this process.
 * Started before a burst's first write, stopped once the replicas have converged.
 */
import { Worker } from 'node:worker_threads';
import type { ProcSamplerCounts } from './proc-sampler.mjs';
import { withTimeout } from './processes.js';

export const SAMPLE_INTERVAL_MS = 20;

export interface RsyncCounter {
  /** Stops the scan (bounded: 10 s) and resolves its counts. */
  stop(): Promise<ProcSamplerCounts>;
}

/**
 * Starts counting rsync processes that descend from this process; resolves once the first scan is
 * done (a worker can take a while to start on a busy machine), bounded by 30 s. The scan ends by
 * itself after `maxMs`.
 */
export async function countRsyncs(maxMs: number): Promise<RsyncCounter> {
  const worker = new Worker(new URL('./proc-sampler.mjs', import.meta.url), {
    workerData: { procSampler: { rootPid: process.pid, intervalMs: SAMPLE_INTERVAL_MS, maxMs } },
  });
  let ready: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (ready = resolve));
  const counts = new Promise<ProcSamplerCounts>((resolve, reject) => {
    worker.on('message', (m: 'ready' | ProcSamplerCounts) => (m === 'ready' ? ready() : resolve(m)));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the /proc sampler exited (${code}) before it reported`)));
  });
  counts.catch(() => undefined); // reported by stop()
  try {
    await withTimeout(Promise.race([started, counts.then(() => undefined)]), 30_000, 'the /proc sampler to start');
  } catch (e) {
    await worker.terminate();
    throw e;
  }
  return {
    async stop() {
      worker.postMessage('stop');
      try {
        return await withTimeout(counts, 10_000, 'the /proc sampler to report');
      } finally {
        await worker.terminate();
      }
    },
  };
}
