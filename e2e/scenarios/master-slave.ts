#!/usr/bin/env -S npx tsx
/**
 * master-slave: web1 mirrors to web2 over ssh.
 *  1. seeded churn on web1 → web2 converges;
 *  2. failover: web1 goes down hard (daemon kill -9, host off the network) while writing; every
 *     change web1's daemon had reported as replicated (status: nothing settling, queued or in
 *     flight) is on web2;
 *  3. web2 becomes master, web1 returns as its replica → converged the other way.
 */
import { ChurnPlanner, runChurn } from '../harness/churn.js';
import type { NodeSession } from '../harness/node.js';
import { sampleStatus, type StatusSample, scenario, type Scenario } from './lib.js';

const MARKER_DIR = 'failover';
/** A marker counts as acknowledged by a status sample sent this long after it was written (the kernel queue's margin). */
const ACK_MARGIN_MS = 200;

await scenario('master-slave', 'master-slave', async (s) => {
  const seed = s.seed();
  await s.startDaemon('web1', [s.sshReplica('web2')]);
  await s.awaitReady('web1', { figure: 'ready_ms' });
  await churnConverges(s, seed);
  const failover = await crashWhileWriting(s);
  await acknowledgedMarkersAreOnWeb2(s, failover);
  await web2TakesOver(s, seed);
});

/** 1. Churn on web1 → web2 converges. */
async function churnConverges(s: Scenario, seed: string): Promise<void> {
  const churn = await runChurn(s.node('web1'), new ChurnPlanner(seed, { subtree: 'site' }).next(400), { opsPerSecond: 200 });
  const c = await s.converged(['web1', 'web2'], 30_000);
  s.figure('churn_ops', churn.applied);
  s.figure('converge_after_churn_ms', c.elapsedMs);
}

interface Marker {
  readonly name: string;
  /** When its write had completed (ms). */
  readonly at: number;
}

/** Writes marker files on `node` one by one over sftp, until stopped; can pause. */
function markerWriter(node: NodeSession) {
  const written: Marker[] = [];
  let gate: Promise<void> | undefined;
  let open = (): void => undefined;
  let stopping = false;
  const done = (async () => {
    for (let i = 0; !stopping && i < 100_000; i++) {
      await gate;
      if (stopping) break;
      const name = `m${String(i).padStart(5, '0')}`;
      const ok = await node.writeFile(`${node.info.dataDir}/${MARKER_DIR}/${name}`, `marker ${i}\n`, { timeoutMs: 15_000 }).then(
        () => true,
        () => false, // the host went down under it
      );
      if (ok) written.push({ name, at: Date.now() });
    }
  })();
  return {
    written,
    pause: () => {
      gate = new Promise<void>((r) => (open = r));
    },
    resume: () => {
      open();
      gate = undefined;
    },
    stop: async () => {
      stopping = true;
      open();
      await done;
    },
  };
}

/**
 * 2. Markers are written one by one. A marker counts as "reported replicated" when a status
 * sample sent after it was written (plus ACK_MARGIN_MS) shows nothing settling, queued or in
 * flight. The writer pauses once so that such a moment certainly occurs, then goes on writing
 * while web1 dies: the daemon by SIGKILL, the host off the network.
 */
async function crashWhileWriting(s: Scenario): Promise<{ markers: readonly Marker[]; acknowledged: number }> {
  const web1 = s.node('web1');
  await web1.$`mkdir -p ${`${web1.info.dataDir}/${MARKER_DIR}`}`;
  const writer = markerWriter(web1);
  let acknowledged = 0;
  const acknowledge = ({ at, statuses: [st] }: StatusSample): boolean => {
    const r = st?.replicas[0];
    if (st?.settling === 0 && r?.state === 'idle' && r.queued === 0 && r.inFlight === 0) {
      acknowledged = Math.max(acknowledged, writer.written.filter((m) => m.at < at - ACK_MARGIN_MS).length);
    }
    return false;
  };
  await new Promise((r) => setTimeout(r, 1500));
  writer.pause();
  await sampleStatus([web1], { everyMs: 100, maxMs: 30_000, until: (smp) => (acknowledge(smp), acknowledged > 0) });
  writer.resume();
  await sampleStatus([web1], { everyMs: 100, maxMs: 10_000, maxSamples: 10, until: acknowledge });
  await s.daemon('web1').kill();
  await s.cluster.disconnect('web1');
  await writer.stop();
  s.figure('markers_written', writer.written.length);
  s.figure('markers_acknowledged', acknowledged);
  s.check('some markers were acknowledged before the crash', acknowledged > 10, `${acknowledged}`);
  return { markers: writer.written, acknowledged };
}

async function acknowledgedMarkersAreOnWeb2(s: Scenario, f: { markers: readonly Marker[]; acknowledged: number }): Promise<void> {
  const web2 = s.node('web2');
  const onWeb2 = new Set((await web2.$`ls ${`${web2.info.dataDir}/${MARKER_DIR}`}`).lines());
  const missing = f.markers.slice(0, f.acknowledged).filter((m) => !onWeb2.has(m.name));
  s.check(
    'every acknowledged marker is on web2',
    missing.length === 0,
    missing.length ? `missing ${missing.slice(0, 5).map((m) => m.name).join(', ')}` : `${f.acknowledged} of ${f.acknowledged}`,
  );
}

/** 3. web2 is master now; web1 comes back as its replica → converged the other way. */
async function web2TakesOver(s: Scenario, seed: string): Promise<void> {
  await s.cluster.reconnect('web1');
  await s.startDaemon('web2', [s.sshReplica('web1')]);
  await s.awaitReady('web2');
  await runChurn(s.node('web2'), new ChurnPlanner(`${seed}-b`, { subtree: 'after-failover' }).next(200), { opsPerSecond: 200 });
  const c = await s.converged(['web2', 'web1'], 30_000);
  s.figure('converge_reverse_ms', c.elapsedMs);
}
