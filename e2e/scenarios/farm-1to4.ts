#!/usr/bin/env -S npx tsx
/**
 * farm-1to4: the upload server ftp1 mirrors to the web farm web1..web4 through their rsync
 * daemons (module with auth).
 *  1. seeded churn on ftp1 plus slow uploads (files growing for seconds, held open the way an
 *     FTP server holds them) → converged on all five;
 *  2. web3 goes off the network for 60 s while churn and uploads go on: the live replicas'
 *     lag stays under a second (a dead replica never delays the others) — by the daemon's own
 *     status and end to end (markers written on ftp1, seen on the web nodes) — and web3 is
 *     never reported idle with changes pending;
 *  3. web3 returns → converged on all five.
 * Throughout, no web node ever shows an upload at its final name with a size other than the
 * final one (a half-uploaded file is never sent as final; rsync's temp files are dot-names).
 */
import type { ReplicaStatus } from '../../src/core/status.js';
import { ChurnPlanner, churnSeed, runChurn, upload } from '../harness/churn.js';
import { sleep } from 'zx';
import { scenario, statusViaSocket, type Scenario } from './lib.js';

const WEBS = ['web1', 'web2', 'web3', 'web4'] as const;
const ALL = ['ftp1', ...WEBS];
const LIVE = ['web1', 'web2', 'web4'] as const;
const OUTAGE_MS = 60_000;
const MAX_LIVE_LAG_MS = 1000;
/** Churn pace while web3 is down (phase 1 runs faster: it checks convergence only). */
const OUTAGE_OPS_PER_SECOND = 25;
/** The daemon's status socket when it runs as root (config/load.ts defaultStatusSocket). */
/** Files on the nodes (each node has its own /tmp). */
const SAMPLER_STOP = '/tmp/farm-sampler.stop';
const SAMPLER_ANSWER = '/tmp/farm-sampler.json';
const PROBE_ANSWER = '/tmp/farm-probe.json';

/**
 * Runs ON a web node (`node --input-type=module -e SCRIPT upDir probeDir stopFile maxMs everyMs`):
 * every `everyMs` it lists `upDir` and records each (name, size) it sees of files named `up-*`
 * (rsync's `.up-*.XXXXXX` temp files do not match), and lists `probeDir` and records when each
 * marker first appeared; until `stopFile` exists or `maxMs` passed. Prints
 * `{samples, sizes: {"name\tsize": firstSeenMs}, markers: {name: firstSeenMs}}`. Sampling on the
 * node costs no ssh round trip per sample and goes on while the node is off the network.
 */
const SAMPLER = `
import fs from 'node:fs';
const [upDir, probeDir, stop, maxMs, everyMs] = process.argv.slice(1);
const sizes = {};
const markers = {};
let samples = 0;
const t0 = Date.now();
const list = (dir) => { try { return fs.readdirSync(dir); } catch { return []; } };
while (Date.now() - t0 < Number(maxMs) && !fs.existsSync(stop)) {
  for (const n of list(upDir)) {
    if (!n.startsWith('up-')) continue;
    let st;
    try { st = fs.statSync(upDir + '/' + n); } catch { continue; }
    const k = n + '\\t' + st.size;
    if (!(k in sizes)) sizes[k] = Date.now();
  }
  for (const n of list(probeDir)) if (n.startsWith('m-') && !(n in markers)) markers[n] = Date.now();
  samples++;
  await new Promise((r) => setTimeout(r, Number(everyMs)));
}
process.stdout.write(JSON.stringify({ samples, sizes, markers }));
`;

interface SamplerAnswer {
  samples: number;
  sizes: Record<string, number>;
  markers: Record<string, number>;
}

/**
 * Runs ON ftp1 (`node --input-type=module -e SCRIPT probeDir stopFile maxMs everyMs`): writes a
 * small marker file `m-NNNNN` every `everyMs` (written and closed at once) until `stopFile`
 * exists or `maxMs` passed; prints `{name: writtenMs}`. Nodes share the machine's clock, so a
 * web node's first-seen time minus this is the end-to-end replication delay.
 */
const PROBE = `
import fs from 'node:fs';
const [dir, stop, maxMs, everyMs] = process.argv.slice(1);
fs.mkdirSync(dir, { recursive: true });
const written = {};
const t0 = Date.now();
for (let i = 0; i < 100000 && Date.now() - t0 < Number(maxMs) && !fs.existsSync(stop); i++) {
  const name = 'm-' + String(i).padStart(5, '0');
  fs.writeFileSync(dir + '/' + name, 'marker ' + i + '\\n');
  written[name] = Date.now();
  await new Promise((r) => setTimeout(r, Number(everyMs)));
}
process.stdout.write(JSON.stringify(written));
`;

await scenario('farm-1to4', 'farm-1to4', farm);

async function farm(s: Scenario): Promise<void> {
  const ftp1 = s.node('ftp1');
  const data = ftp1.info.dataDir;
  const upDir = `${data}/uploads`;
  const probeDir = `${data}/probe`;
  const seed = churnSeed((l) => s.log(l));
  s.figure('seed', seed);

  // The upload directory exists before the daemon starts, as on an FTP server. Made while the
  // daemon runs and uploaded into at once, it is a recursive sync that can run after the
  // uploads began and send their first chunks under the final names (a daemon bug: seed
  // 6ea3dd85f473, web4 got up-001.bin at 78643 of 3145728 bytes, one chunk of 40).
  await ftp1.run(['mkdir', '-p', upDir]);
  await s.startDaemon('ftp1', WEBS.map((w) => s.daemonReplica(w)));
  const ready = await s.awaitReady('ftp1');
  s.figure('ready_ms', (ready.readyAt ?? 0) - ready.startedAt);

  // Samplers on every web node, from before the first upload until the end. They run in the
  // background (setsid) with their answer in a file: the controller's ssh session to web3 dies
  // of keepalive timeouts during the outage; the sampler there must not.
  const samplerPids = await Promise.all(
    WEBS.map((w) =>
      s.node(w).spawnBackground(['node', '--input-type=module', '-e', SAMPLER, upDir, probeDir, SAMPLER_STOP, '230000', '20'], { logFile: SAMPLER_ANSWER }),
    ),
  );

  /** Final size of each upload, by name. */
  const uploads = new Map<string, number>();
  /** One slow upload on ftp1: `bytes` over `durationMs`, a chunk every 100 ms (well below stableFor). */
  const slowUpload = async (bytes: number, durationMs: number) => {
    const name = `up-${String(uploads.size + 1).padStart(3, '0')}.bin`;
    uploads.set(name, bytes);
    await upload(ftp1, `${upDir}/${name}`, { totalBytes: bytes, durationMs, chunks: Math.max(2, Math.round(durationMs / 100)), seed: uploads.size });
  };

  // 1. Churn and uploads together → converged. The outage churn gets its own subtree, created
  // here, so that it does not begin with a brand-new directory.
  const plan = new ChurnPlanner(seed, { subtree: 'www' });
  const outagePlan = new ChurnPlanner(`${seed}-outage`, { subtree: 'site' });
  const [churn1] = await Promise.all([
    runChurn(ftp1, [...plan.next(400), ...outagePlan.next(1)], { opsPerSecond: 100 }),
    slowUpload(3 * 1024 * 1024, 4000),
    slowUpload(512 * 1024, 2500),
  ]);
  const c1 = await s.converged(ALL, 30_000);
  s.figure('phase1_churn_ops', churn1.applied);
  s.figure('phase1_uploads', uploads.size);
  s.figure('converge_after_churn_ms', c1.elapsedMs);
  const before = await s.status('ftp1');

  // 2. web3 down for OUTAGE_MS; churn, uploads and the marker probe go on; the status of ftp1
  // is sampled throughout.
  await s.cluster.disconnect('web3');
  const downAt = Date.now();
  const backAt = downAt + OUTAGE_MS;
  const probePid = await ftp1.spawnBackground(['node', '--input-type=module', '-e', PROBE, probeDir, SAMPLER_STOP, String(OUTAGE_MS - 2000), '250'], {
    logFile: PROBE_ANSWER,
  });
  let ops = 0;
  const churnLoop = (async () => {
    // 4 s rounds; no round starts unless it can end before web3 returns.
    const perRound = OUTAGE_OPS_PER_SECOND * 4;
    for (let i = 0; i < 100 && Date.now() + 4500 < backAt; i++) {
      ops += (await runChurn(ftp1, outagePlan.next(perRound), { opsPerSecond: OUTAGE_OPS_PER_SECOND })).applied;
    }
  })();
  const uploadLoop = (async () => {
    for (let i = 0; i < 100 && Date.now() + 4500 < backAt; i++) await slowUpload((1 + (i % 4)) * 512 * 1024, 2000 + (i % 3) * 1000);
  })();
  const samples: ReplicaStatus[][] = [];
  for (let i = 0; i < 3000 && Date.now() < backAt; i++) {
    const st = await statusViaSocket(ftp1).catch(() => undefined);
    if (st) samples.push(st.replicas);
    await sleep(Math.min(100, Math.max(0, backAt - Date.now())));
  }
  await Promise.all([churnLoop, uploadLoop]);
  if (!(await ftp1.waitExit(probePid, 5000))) throw new Error('ftp1: marker probe did not stop');
  await s.cluster.reconnect('web3');
  const returnedAt = Date.now();
  s.figure('outage_ms', returnedAt - downAt);
  s.figure('outage_churn_ops', ops);
  s.figure('uploads_total', uploads.size);
  s.figure('status_samples', samples.length);

  const maxLag = new Map<string, number>();
  let web3MaxLag = 0;
  let web3MaxAttempts = 0;
  /** web3 reported idle after it had changes pending: it cannot have acknowledged them. */
  let web3IdleAgain = 0;
  const web3States = new Map<string, number>();
  for (const replicas of samples) {
    for (const r of replicas) {
      if (r.name !== 'web3') {
        maxLag.set(r.name, Math.max(maxLag.get(r.name) ?? 0, r.lagMs));
        continue;
      }
      if (r.state === 'idle' && web3MaxLag > 0) web3IdleAgain++;
      web3MaxLag = Math.max(web3MaxLag, r.lagMs);
      web3MaxAttempts = Math.max(web3MaxAttempts, r.attempts);
      web3States.set(r.state, (web3States.get(r.state) ?? 0) + 1);
    }
  }
  // The same from the daemon's log: each batch's lag at its acknowledgement, which is the peak of
  // its changes' lag (status sampling can miss it).
  const logMax = new Map<string, number>();
  for (const b of await batchReports(s)) {
    if (b.kind === 'batch' && b.at >= downAt && b.at <= returnedAt) logMax.set(b.replica, Math.max(logMax.get(b.replica) ?? 0, b.lagMs ?? 0));
  }
  const maxLive = Math.max(0, ...LIVE.map((w) => maxLag.get(w) ?? 0));
  for (const w of LIVE) s.figure(`max_lag_${w}_ms`, `${maxLag.get(w) ?? 0} (status), ${logMax.get(w) ?? 0} (batch log)`);
  s.figure('max_lag_live_ms', maxLive);
  s.figure('max_lag_live_batch_log_ms', Math.max(0, ...LIVE.map((w) => logMax.get(w) ?? 0)));
  s.figure('web3_max_lag_down_ms', web3MaxLag);
  s.figure('web3_max_attempts_down', web3MaxAttempts);
  s.figure('web3_states_down', [...web3States].map(([k, v]) => `${k}:${v}`).join(' '));
  s.check('status was sampled during the outage', samples.length >= 50, `${samples.length} samples`);
  s.check(`live replicas' lag (status) stayed under ${MAX_LIVE_LAG_MS} ms while web3 was down`, maxLive < MAX_LIVE_LAG_MS, `max ${maxLive} ms`);
  s.check(
    'web3, once it had changes pending, was never reported idle while down',
    web3MaxLag > 0 && web3IdleAgain === 0,
    `states ${[...web3States.keys()].join(',')}; idle after pending: ${web3IdleAgain}`,
  );

  // 3. web3 is back → converged on all five.
  const c3 = await s.converged(ALL, 60_000);
  s.figure('converge_after_return_ms', Date.now() - returnedAt);
  s.figure('converged_entries', c3.count);

  // Samplers: no partial upload at a final name anywhere; end-to-end delay of the markers.
  const written = JSON.parse((await ftp1.readFile(PROBE_ANSWER)).toString('utf8')) as Record<string, number>;
  const torn: string[] = [];
  let sizeSamples = 0;
  const e2eMax = new Map<string, number>();
  const missing: string[] = [];
  for (const [i, w] of WEBS.entries()) {
    const node = s.node(w);
    await node.run(['touch', SAMPLER_STOP]);
    if (!(await node.waitExit(samplerPids[i] ?? 0, 5000))) throw new Error(`${w}: sampler did not stop`);
    const answer = JSON.parse((await node.readFile(SAMPLER_ANSWER)).toString('utf8')) as SamplerAnswer;
    sizeSamples += answer.samples;
    for (const key of Object.keys(answer.sizes)) {
      const [name = '', size = ''] = key.split('\t');
      const final = uploads.get(name);
      if (final !== undefined && Number(size) !== final) torn.push(`${w} ${name} ${size}/${final}`);
    }
    if (w === 'web3') continue;
    for (const [name, at] of Object.entries(written)) {
      const seen = answer.markers[name];
      if (seen === undefined) missing.push(`${w} ${name}`);
      else e2eMax.set(w, Math.max(e2eMax.get(w) ?? 0, seen - at));
    }
  }
  const e2eLive = Math.max(0, ...e2eMax.values());
  s.figure('upload_size_samples', sizeSamples);
  s.figure('probe_markers', Object.keys(written).length);
  s.figure('max_e2e_delay_live_ms', e2eLive);
  s.check('no web node showed an upload at its final name with a partial size', torn.length === 0, torn.length ? torn.slice(0, 5).join('; ') : `${uploads.size} uploads`);
  s.check('every marker reached the live replicas during the outage', missing.length === 0 && Object.keys(written).length > 100, missing.slice(0, 5).join(', ') || `${Object.keys(written).length} markers`);
  s.check(`end-to-end delay to the live replicas stayed under ${MAX_LIVE_LAG_MS} ms while web3 was down`, e2eLive < MAX_LIVE_LAG_MS, `max ${e2eLive} ms (20 ms sampling)`);

  // Transfers.
  const after = await s.status('ftp1');
  for (const r of after.replicas) {
    const b = before.replicas.find((x) => x.name === r.name);
    s.figure(`${r.name}_batches_fullSyncs`, `${r.batches}/${r.fullSyncs} (since outage ${r.batches - (b?.batches ?? 0)}/${r.fullSyncs - (b?.fullSyncs ?? 0)})`);
  }
  const files = new Map<string, number>();
  for (const b of await batchReports(s)) files.set(b.replica, (files.get(b.replica) ?? 0) + (b.stats?.filesTransferred ?? 0));
  for (const [name, n] of files) s.figure(`${name}_files_transferred`, n);
}


interface LoggedReport {
  replica: string;
  kind: string;
  /** When it was logged (ms; the nodes share the machine's clock). */
  at: number;
  lagMs?: number;
  stats?: { filesTransferred?: number };
}

/** The replicas' batch and full-sync reports from the daemon's JSON log on ftp1. */
async function batchReports(s: Scenario): Promise<LoggedReport[]> {
  const out: LoggedReport[] = [];
  for (const line of (await s.daemon('ftp1').log()).split('\n')) {
    if (!line.startsWith('{')) continue;
    let e: Partial<LoggedReport> & { time?: string };
    try {
      e = JSON.parse(line) as typeof e;
    } catch {
      continue;
    }
    if (e.replica === undefined || (e.kind !== 'batch' && e.kind !== 'full-sync')) continue;
    out.push({ ...e, replica: e.replica, kind: e.kind, at: Date.parse(e.time ?? '') });
  }
  return out;
}
