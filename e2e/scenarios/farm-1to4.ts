#!/usr/bin/env -S npx tsx
/**
 * farm-1to4: the upload server ftp1 mirrors to the web farm web1..web4 through their rsync
 * daemons (module with auth).
 *  1. seeded churn on ftp1 plus slow uploads (files growing for seconds, held open the way an
 *     FTP server holds them) → converged on all five;
 *  2. web3 goes off the network for 60 s while churn and uploads go on: a dead replica never
 *     delays the others — the live replicas' lag stays far below the outage's length
 *     (LIVE_LAG_BOUND_MS; p50/p99/max as figures), by the daemon's own status and end to end
 *     (markers written on ftp1, seen on the web nodes) — and web3 is never reported idle with
 *     changes pending;
 *  3. web3 returns → converged on all five.
 * Throughout, no web node ever shows an upload at its final name with a size other than the
 * final one (a half-uploaded file is never sent as final; rsync's temp files are dot-names).
 */
import type { DaemonStatus } from '../../src/core/status.js';
import { ChurnPlanner, runChurn, upload } from '../harness/churn.js';
import type { NodeSession } from '../harness/node.js';
import { poll } from '../harness/poll.js';
import { type RemoteJob, startRemoteScript } from '../harness/remote-script.js';
import {
  daemonReports,
  describeReport,
  LIVE_LAG_BOUND_MS,
  percentile,
  readStatus,
  reportsBetween,
  sampleStatus,
  type Scenario,
  scenario,
  slowBatches,
  type StatusSamples,
} from './lib.js';

const WEBS = ['web1', 'web2', 'web3', 'web4'] as const;
const ALL = ['ftp1', ...WEBS];
const LIVE = ['web1', 'web2', 'web4'] as const;
const OUTAGE_MS = 60_000;
/** Churn pace while web3 is down (phase 1 runs faster: it checks convergence only). */
const OUTAGE_OPS_PER_SECOND = 25;
/** Churn and uploads during the outage end this long before web3 returns. */
const OUTAGE_TAIL_MS = 4500;
/** Files on the nodes (each node has its own /tmp). */
const STOP_FILE = '/tmp/farm-watch.stop';
const FIRST_SEEN_ANSWER = '/tmp/farm-first-seen.json';
const MARKERS_ANSWER = '/tmp/farm-markers.json';

/** What remote/first-seen.mjs answers: [uploads by "name\tsize", markers by name] → first seen (ms). */
interface FirstSeen {
  samples: number;
  seen: [Record<string, number>, Record<string, number>];
}

interface Farm {
  readonly ftp1: NodeSession;
  readonly seed: string;
  readonly upDir: string;
  readonly probeDir: string;
  /** Final size of each upload, by name. */
  readonly uploads: Map<string, number>;
  /** The outage churn's own subtree, created in phase 1 so that it does not begin with a new directory. */
  readonly outagePlan: ChurnPlanner;
  /** remote/first-seen.mjs on each web node, from before the first upload until the end. */
  watchers: RemoteJob<FirstSeen>[];
}

interface Outage {
  readonly downAt: number;
  readonly returnedAt: number;
  readonly samples: StatusSamples;
  /** remote/markers.mjs's answer: marker name → when ftp1 wrote it. */
  readonly markers: Record<string, number>;
}

await scenario('farm-1to4', 'farm-1to4', async (s) => {
  const farm = await startFarm(s);
  await churnAndUploadsConverge(s, farm);
  const before = await readStatus(farm.ftp1);
  const outage = await web3GoesDown(s, farm);
  await liveReplicasKeptUp(s, outage);
  web3NeverIdleWithChangesPending(s, outage);
  await web3ReturnsAndConverges(s, outage);
  await whatTheWebNodesSaw(s, farm, outage);
  await transferFigures(s, farm, before);
});

/** The daemon on ftp1 mirroring to the four web nodes; a watcher on each web node. */
async function startFarm(s: Scenario): Promise<Farm> {
  const ftp1 = s.node('ftp1');
  const seed = s.seed();
  const upDir = `${ftp1.info.dataDir}/uploads`;
  const probeDir = `${ftp1.info.dataDir}/probe`;
  // The upload directory exists before the daemon starts, as on an FTP server. Made while the
  // daemon runs and uploaded into at once, it is a recursive sync that can run after the
  // uploads began and send their first chunks under the final names (a daemon bug: seed
  // 6ea3dd85f473, web4 got up-001.bin at 78643 of 3145728 bytes, one chunk of 40).
  await ftp1.$`mkdir -p ${upDir}`;
  await s.startDaemon('ftp1', WEBS.map((w) => s.daemonReplica(w)));
  await s.awaitReady('ftp1', { figure: 'ready_ms' });
  const farm: Farm = { ftp1, seed, upDir, probeDir, uploads: new Map(), outagePlan: new ChurnPlanner(`${seed}-outage`, { subtree: 'site' }), watchers: [] };
  // In the background with their answer in a file: the controller's ssh session to web3 dies of
  // keepalive timeouts during the outage; the watcher there must not.
  farm.watchers = await Promise.all(
    WEBS.map((w) =>
      startRemoteScript<FirstSeen>(
        s.node(w),
        'first-seen',
        {
          watch: [
            { dir: upDir, prefix: 'up-', sizes: true }, // rsync's `.up-*.XXXXXX` temp files do not match
            { dir: probeDir, prefix: 'm-', sizes: false },
          ],
          stopFile: STOP_FILE,
          maxMs: 230_000,
          everyMs: 20,
        },
        { answerFile: FIRST_SEEN_ANSWER },
      ),
    ),
  );
  return farm;
}

/** One slow upload on ftp1: `bytes` over `durationMs`, a chunk every 100 ms (well below stableFor). */
async function slowUpload(farm: Farm, bytes: number, durationMs: number): Promise<void> {
  const name = `up-${String(farm.uploads.size + 1).padStart(3, '0')}.bin`;
  farm.uploads.set(name, bytes);
  await upload(farm.ftp1, `${farm.upDir}/${name}`, { totalBytes: bytes, durationMs, chunks: Math.max(2, Math.round(durationMs / 100)), seed: farm.uploads.size });
}

/** 1. Churn and uploads together → converged on all five. */
async function churnAndUploadsConverge(s: Scenario, farm: Farm): Promise<void> {
  const plan = new ChurnPlanner(farm.seed, { subtree: 'www' });
  const [churn] = await Promise.all([
    runChurn(farm.ftp1, [...plan.next(400), ...farm.outagePlan.next(1)], { opsPerSecond: 100 }),
    slowUpload(farm, 3 * 1024 * 1024, 4000),
    slowUpload(farm, 512 * 1024, 2500),
  ]);
  const c = await s.converged(ALL, 30_000);
  s.figure('phase1_churn_ops', churn.applied);
  s.figure('phase1_uploads', farm.uploads.size);
  s.figure('converge_after_churn_ms', c.elapsedMs);
}

/**
 * 2. web3 off the network for OUTAGE_MS. Churn, slow uploads and the marker writer go on; the
 * status of ftp1 is sampled throughout; then web3 is back on the network.
 */
async function web3GoesDown(s: Scenario, farm: Farm): Promise<Outage> {
  const { ftp1 } = farm;
  await s.cluster.disconnect('web3');
  const downAt = Date.now();
  const endBy = downAt + OUTAGE_MS - OUTAGE_TAIL_MS;
  const markers = await startRemoteScript<Record<string, number>>(
    ftp1,
    'markers',
    { dir: farm.probeDir, prefix: 'm-', stopFile: STOP_FILE, maxMs: OUTAGE_MS - 2000, everyMs: 250, max: 100_000 },
    { answerFile: MARKERS_ANSWER },
  );
  const churnMs = OUTAGE_MS - OUTAGE_TAIL_MS;
  const churn = runChurn(ftp1, farm.outagePlan.next(Math.floor((OUTAGE_OPS_PER_SECOND * churnMs) / 1000)), {
    opsPerSecond: OUTAGE_OPS_PER_SECOND,
    deadlineMs: churnMs,
  });
  // Uploads one after another, each only if it can end before the tail (they take 2-4 s).
  const uploads = poll(
    async () => {
      const i = farm.uploads.size;
      await slowUpload(farm, (1 + (i % 4)) * 512 * 1024, 2000 + (i % 3) * 1000);
      return { done: Date.now() + OUTAGE_TAIL_MS >= endBy, value: undefined };
    },
    { deadlineMs: endBy - Date.now(), maxAttempts: 100, initialIntervalMs: 0, maxIntervalMs: 0 },
  );
  const samples = await sampleStatus([ftp1], { everyMs: 100, maxMs: OUTAGE_MS, skipFailedReads: true });
  const [churned] = await Promise.all([churn, uploads]);
  const written = await markers.answer(5000);
  await s.cluster.reconnect('web3');
  const returnedAt = Date.now();
  s.figure('outage_ms', returnedAt - downAt);
  s.figure('outage_churn_ops', churned.applied);
  s.figure('uploads_total', farm.uploads.size);
  s.figure('status_samples', samples.samples.length);
  s.check('status was sampled during the outage', samples.samples.length >= 50, `${samples.samples.length} samples, ${samples.failedReads} failed reads`);
  return { downAt, returnedAt, samples, markers: written };
}

/** The property of step 2, by the daemon's status (and its batch log as figures). */
async function liveReplicasKeptUp(s: Scenario, o: Outage): Promise<void> {
  await s.checkLiveLag({ what: 'live replicas while web3 was down (status)', on: 'ftp1', replicas: LIVE, samples: o.samples, from: o.downAt, to: o.returnedAt, prefix: 'live_lag' });
}

/** web3, once it had changes pending, must never look idle: it cannot have acknowledged them. */
function web3NeverIdleWithChangesPending(s: Scenario, o: Outage): void {
  let maxLag = 0;
  let maxAttempts = 0;
  let idleAgain = 0;
  const states = new Map<string, number>();
  for (const { statuses } of o.samples.samples) {
    const r = statuses[0]?.replicas.find((x) => x.name === 'web3');
    if (!r) continue;
    if (r.state === 'idle' && maxLag > 0) idleAgain++;
    maxLag = Math.max(maxLag, r.lagMs);
    maxAttempts = Math.max(maxAttempts, r.attempts);
    states.set(r.state, (states.get(r.state) ?? 0) + 1);
  }
  s.figure('web3_max_lag_down_ms', maxLag);
  s.figure('web3_max_attempts_down', maxAttempts);
  s.figure('web3_states_down', [...states].map(([k, v]) => `${k}:${v}`).join(' '));
  s.check('web3, once it had changes pending, was never reported idle while down', maxLag > 0 && idleAgain === 0, `states ${[...states.keys()].join(',')}; idle after pending: ${idleAgain}`);
}

/** 3. web3 is back → converged on all five. */
async function web3ReturnsAndConverges(s: Scenario, o: Outage): Promise<void> {
  const c = await s.converged(ALL, 60_000);
  s.figure('converge_after_return_ms', Date.now() - o.returnedAt);
  s.figure('converged_entries', c.count);
}

/** The watchers' answers: no partial upload at a final name anywhere; end-to-end delay of the markers. */
async function whatTheWebNodesSaw(s: Scenario, farm: Farm, o: Outage): Promise<void> {
  const torn: string[] = [];
  const missing: string[] = [];
  const delays: number[] = [];
  let worst = { delay: -1, web: '', marker: '', at: 0 };
  let sizeSamples = 0;
  for (const [i, w] of WEBS.entries()) {
    await s.node(w).$`touch ${STOP_FILE}`;
    const answer = await (farm.watchers[i] as RemoteJob<FirstSeen>).answer(5000);
    const [sizes, markers] = answer.seen;
    sizeSamples += answer.samples;
    for (const key of Object.keys(sizes)) {
      const [name = '', size = ''] = key.split('\t');
      const final = farm.uploads.get(name);
      if (final !== undefined && Number(size) !== final) torn.push(`${w} ${name} ${size}/${final}`);
    }
    if (w === 'web3') continue;
    for (const [name, at] of Object.entries(o.markers)) {
      const seen = markers[name];
      if (seen === undefined) {
        missing.push(`${w} ${name}`);
        continue;
      }
      delays.push(seen - at);
      if (seen - at > worst.delay) worst = { delay: seen - at, web: w, marker: name, at };
    }
  }
  const count = Object.keys(o.markers).length;
  s.figure('upload_size_samples', sizeSamples);
  s.figure('probe_markers', count);
  s.figure('e2e_delay_live_p50_ms', percentile(delays, 50));
  s.figure('e2e_delay_live_p99_ms', percentile(delays, 99));
  s.figure('max_e2e_delay_live_ms', Math.max(0, worst.delay));
  s.check('no web node showed an upload at its final name with a partial size', torn.length === 0, torn.length ? torn.slice(0, 5).join('; ') : `${farm.uploads.size} uploads`);
  s.check('every marker reached the live replicas during the outage', missing.length === 0 && count > 100, missing.slice(0, 5).join(', ') || `${count} markers`);
  const ok = worst.delay < LIVE_LAG_BOUND_MS;
  let why = '';
  if (!ok) {
    const reports = await daemonReports(s, 'ftp1');
    const around = reportsBetween(reports, worst.web, worst.at - 1000, worst.at + worst.delay + 1000);
    why = `; slowest: ${worst.marker} on ${worst.web}, written ${new Date(worst.at).toISOString().slice(11, 23)}; its batches then:\n${around.map((r) => `  ${describeReport(r)}`).join('\n')}\n${slowBatches(reports, LIVE, o.downAt, o.returnedAt, LIVE_LAG_BOUND_MS)}`;
  }
  s.check(`end-to-end delay to the live replicas stayed under ${LIVE_LAG_BOUND_MS} ms while web3 was down`, ok, `max ${worst.delay} ms (20 ms sampling)${why}`);
}

/** Batches and full syncs per replica (since the outage too), files transferred by the log. */
async function transferFigures(s: Scenario, farm: Farm, before: DaemonStatus): Promise<void> {
  const after = await readStatus(farm.ftp1);
  for (const r of after.replicas) {
    const b = before.replicas.find((x) => x.name === r.name);
    s.figure(`${r.name}_batches_fullSyncs`, `${r.batches}/${r.fullSyncs} (since outage ${r.batches - (b?.batches ?? 0)}/${r.fullSyncs - (b?.fullSyncs ?? 0)})`);
  }
  const files = new Map<string, number>();
  for (const r of await daemonReports(s, 'ftp1')) {
    if (r.kind === 'batch' || r.kind === 'full-sync') files.set(r.replica, (files.get(r.replica) ?? 0) + r.stats.filesTransferred);
  }
  for (const [name, n] of files) s.figure(`${name}_files_transferred`, n);
}
