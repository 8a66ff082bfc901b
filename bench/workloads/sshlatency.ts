/**
 * sshlatency (issue #8): latency's samples — one small file written to the source, polled on the
 * replica until it is there with its content — with ONE replica behind a loopback sshd
 * (loopback-sshd.ts). It shows what a change costs over ssh: livemirror keeps one ssh connection
 * per replica and runs each rsync's session over it, lsyncd pays a key exchange and login per
 * rsync. Measured here by hand: `rsync -a -e ssh` of one small file with a fresh connection
 * 309 ms, over a ControlMaster connection 88 ms.
 */
import type { BenchConfig } from '../config.js';
import { withLoopbackSshd } from '../loopback-sshd.js';
import type { SshLatencyResult } from '../results.js';
import { canRunOverSsh, makeSshTree, type SshContestant } from '../ssh-contestants.js';
import { summarizeLatency, type LatencySample } from '../stats.js';
import { takeLatencySamples } from './latency.js';

/** The same deadline as latency's: a sample past it is a miss. */
const DEADLINE_MS = 30_000;

export async function runSshLatency(c: SshContestant, cfg: BenchConfig, log: (s: string) => void): Promise<SshLatencyResult> {
  const base = {
    workload: 'sshlatency' as const,
    contestant: c.name,
    label: c.label,
    ...(c.sshConnectionSharing !== undefined ? { sshConnectionSharing: c.sshConnectionSharing } : {}),
    deadlineMs: DEADLINE_MS,
    pauseMs: cfg.latency.pauseMs,
  };
  const samples: LatencySample[] = [];
  const avail = await canRunOverSsh(c);
  if (!avail.ok) return { ...base, status: 'not installed', reason: avail.reason, samples, summary: summarizeLatency(samples) };
  try {
    await withLoopbackSshd(async (sshd) => {
      const t = makeSshTree(sshd);
      try {
        const running = await c.start(t, sshd);
        try {
          const plan = { label: c.label, n: cfg.sshlatency.samples, deadlineMs: DEADLINE_MS, pollMs: cfg.latency.pollMs, pauseMs: cfg.latency.pauseMs, phaseJitterMs: 0 };
          await takeLatencySamples(t.source, [t.replica], plan, samples, log);
        } finally {
          await running.stop();
        }
      } finally {
        t.cleanup();
      }
    });
  } catch (e) {
    return { ...base, status: 'failed', reason: (e as Error).message, samples, summary: summarizeLatency(samples) };
  }
  return { ...base, status: 'ok', samples, summary: summarizeLatency(samples) };
}

