#!/usr/bin/env -S npx tsx
/**
 * master-slave: web1 mirrors to web2 over ssh.
 *  1. seeded churn on web1 → web2 converges;
 *  2. failover: web1 goes down hard (daemon kill -9, host off the network) while writing; every
 *     change web1's daemon had reported as replicated (status: nothing settling, queued or in
 *     flight) is on web2;
 *  3. web2 becomes master, web1 returns as its replica → converged the other way.
 */
import { ChurnPlanner, churnSeed, runChurn } from '../harness/churn.js';
import { scenario, sleep } from './lib.js';

await scenario('master-slave', 'master-slave', async (s) => {
  const [web1, web2] = s.nodes('web1', 'web2') as [ReturnType<typeof s.node>, ReturnType<typeof s.node>];
  const seed = churnSeed((l) => s.log(l));
  s.figure('seed', seed);

  await s.startDaemon('web1', [s.sshReplica('web2')]);
  const ready = await s.awaitReady('web1');
  s.figure('ready_ms', (ready.readyAt ?? 0) - ready.startedAt);

  // 1. Churn → converged.
  const plan = new ChurnPlanner(seed, { subtree: 'site' });
  const churn = await runChurn(web1, plan.next(400), { opsPerSecond: 200 });
  const c1 = await s.converged(['web1', 'web2'], 30_000);
  s.figure('churn_ops', churn.applied);
  s.figure('converge_after_churn_ms', c1.elapsedMs);

  // 2. Failover. Markers are written one by one. A marker counts as "reported replicated" when a
  // status sample taken after it was written (plus a margin for the kernel queue) shows nothing
  // settling, queued or in flight. The writer pauses once so such a moment certainly occurs,
  // then goes on writing while web1 dies.
  const markers: { name: string; at: number }[] = [];
  let acknowledged = 0;
  let paused = false;
  let writing = true;
  await web1.run(['mkdir', '-p', `${web1.info.dataDir}/failover`]);
  const writer = (async () => {
    for (let i = 0; writing && i < 100_000; i++) {
      while (paused && writing) await sleep(20);
      const name = `failover/m${String(i).padStart(5, '0')}`;
      const ok = await web1.writeFile(`${web1.info.dataDir}/${name}`, `marker ${i}\n`).then(
        () => true,
        () => false,
      );
      if (ok) markers.push({ name, at: Date.now() });
    }
  })();
  const sampleAck = async () => {
    const sampledAt = Date.now();
    const st = await s.status('web1');
    const r = st.replicas[0];
    if (st.settling === 0 && r && r.queued === 0 && r.inFlight === 0 && r.state === 'idle')
      acknowledged = Math.max(acknowledged, markers.filter((m) => m.at < sampledAt - 200).length);
  };
  await sleep(1500);
  paused = true;
  for (let i = 0; i < 50 && acknowledged === 0; i++) await sampleAck();
  paused = false;
  for (let i = 0; i < 10; i++) await sampleAck();
  // Down hard: the daemon dies with SIGKILL and the host drops off the network mid-write.
  await s.daemon('web1').kill();
  await s.cluster.disconnect('web1');
  writing = false;
  await writer;
  s.figure('markers_written', markers.length);
  s.figure('markers_acknowledged', acknowledged);
  s.check('some markers were acknowledged before the crash', acknowledged > 10, `${acknowledged}`);
  const onWeb2 = new Set((await web2.run(['ls', `${web2.info.dataDir}/failover`])).split('\n').filter(Boolean));
  const missing = markers.slice(0, acknowledged).filter((m) => !onWeb2.has(m.name.slice('failover/'.length)));
  s.check('every acknowledged marker is on web2', missing.length === 0, missing.length ? `missing ${missing.slice(0, 5).map((m) => m.name).join(', ')}` : `${acknowledged} of ${acknowledged}`);

  // 3. web2 is master now; web1 comes back as its replica.
  await s.cluster.reconnect('web1');
  await s.startDaemon('web2', [s.sshReplica('web1')]);
  await s.awaitReady('web2');
  await runChurn(web2, new ChurnPlanner(`${seed}-b`, { subtree: 'after-failover' }).next(200), { opsPerSecond: 200 });
  const c3 = await s.converged(['web2', 'web1'], 30_000);
  s.figure('converge_reverse_ms', c3.elapsedMs);
});
