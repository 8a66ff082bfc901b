#!/usr/bin/env -S npx tsx
/**
 * mesh-4way: four masters n1..n4, each running `livemirror --mesh` and pushing to the three
 * others through their rsync daemons (the seeds' setup: every server takes uploads).
 *  1. Churn with every kind of change (writes, rewrites, appends, truncates, renames of files
 *     and directories, mkdir -p, rm -rf, chmod, symlinks) on all four at once, each node in its
 *     own subtree → converged; every subtree, on every node, is exactly what its writer's churn
 *     model says (a lost or resurrected path fails the check); no conflict copy anywhere (one
 *     writer per path never conflicts).
 *  2. Races on shared paths, started on all four nodes at one instant (remote/race.mjs: far
 *     inside the settle time, so truly concurrent): edits of one file on two and on four nodes,
 *     a delete racing an edit, a rename racing an edit, a plain delete → one winner everywhere
 *     (newest mtime), every loser kept as a conflict copy, the edit beats the delete, the
 *     deleted file stays deleted.
 *  3. Steady state: single changes, one node at a time → files transferred per change (at most
 *     3 in a 4-node mesh) and echoes (batches sent by the nodes that only received: 0).
 *  4. A daemon killed (-9) mid-churn and started again → converged, every model exact.
 *  5. A node cut off from its three peers for OFFLINE_MS while all four churn (its own writes
 *     meanwhile too), then back → converged, every model exact.
 *  Then no loop: replication goes quiet.
 */
import { createHash } from 'node:crypto';
import { sleep } from 'zx';
import type { DaemonStatus } from '../../src/core/status.js';
import { ChurnPlanner, runChurn, type ChurnResult } from '../harness/churn.js';
import type { NodeSession } from '../harness/node.js';
import { escapePath } from '../harness/remote/digest.mjs';
import type { DigestEntry } from '../harness/tree-diff.js';
import { runRemoteScript } from '../harness/remote-script.js';
import { digestTree } from '../harness/tree.js';
import { awaitQuiet, batchesOf, daemonReports, readStatus, readyMs, type Scenario, scenario } from './lib.js';

const NODES = ['n1', 'n2', 'n3', 'n4'] as const;
type Name = (typeof NODES)[number];
/** The mesh's own directory (manifests, state) differs per node by design: not content. */
const EXCLUDE = [/^\.livemirror$/];
const OPS_PER_NODE = 300;
const OPS_PER_SECOND = 20;
/** How long phase 5 keeps a node off the network. */
const OFFLINE_MS = Number(process.env['MESH_OFFLINE_MS'] ?? 60_000);
/** Quiet = every daemon idle and no batch counter moving for this long. */
const QUIET_MS = 3000;
/** A loop never goes quiet; the bound only has to be far above what a busy machine needs. */
const QUIET_DEADLINE_MS = 30_000;
/** Single changes measured in phase 3. */
const SINGLE_CHANGES = 8;
/** Converging after a node returns waits out its peers' retry backoff (at most 10 s) first. */
const CONVERGE_MS = 90_000;
/** Draining the churn's backlog: 8-20 s on a quiet machine, 41 s seen on one also building and
 *  testing other code. A mesh that loops or lost a change never converges, so the bound only has
 *  to be far above what a busy machine needs. */
const CHURN_CONVERGE_MS = 120_000;

interface Peer {
  readonly name: Name;
  readonly node: NodeSession;
  readonly plan: ChurnPlanner;
}

await scenario('mesh-4way', 'mesh-4way', async (s) => {
  const seed = s.seed();
  await startMesh(s);
  const peers = NODES.map((name) => ({ name, node: s.node(name), plan: new ChurnPlanner(`${seed}-${name}`, { subtree: name }) }));
  await fullChurnConverges(s, peers);
  await racesResolve(s);
  await steadyStateCost(s);
  await killedDaemonCatchesUp(s, peers);
  await offlineNodeCatchesUp(s, peers);
  await replicationGoesQuiet(s);
});

async function startMesh(s: Scenario): Promise<void> {
  await Promise.all(NODES.map((n) => s.startDaemon(n, peersOf(s, n), { mesh: true, nodeName: n })));
  const readies = await Promise.all(NODES.map((n) => s.awaitReady(n)));
  s.figure('ready_ms_max', Math.max(...readies.map(readyMs)));
}

function peersOf(s: Scenario, n: Name) {
  return NODES.filter((o) => o !== n).map((o) => s.daemonReplica(o, { name: o }));
}

/** 1. Full churn on all four, each in its own subtree → converged and exactly as modelled. */
async function fullChurnConverges(s: Scenario, peers: readonly Peer[]): Promise<void> {
  const t0 = Date.now();
  const results = await Promise.all(peers.map(({ node, plan }) => runChurn(node, plan.next(OPS_PER_NODE), { opsPerSecond: OPS_PER_SECOND })));
  const endedAt = Date.now();
  s.figure('churn_ops', results.reduce((a, r) => a + r.applied, 0));
  s.figure('churn_ms', endedAt - t0);
  const c = await s.converged([...NODES], CHURN_CONVERGE_MS, { exclude: EXCLUDE });
  s.figure('converge_after_churn_ms', c.elapsedMs);
  s.figure('converged_entries', c.count);
  await modelsExact(s, peers, 'after the churn');
  const copies = (await conflictCopies(s.node('n1'))).length;
  s.check('no conflict copy from single-writer churn', copies === 0, `${copies} copies`);
}

/** Every subtree on every node against its writer's model: lost, resurrected and changed paths fail. */
async function modelsExact(s: Scenario, peers: readonly Peer[], when: string): Promise<void> {
  const diffs: string[] = [];
  for (const on of peers) {
    const entries = (await digestTree(on.node, { full: true, exclude: EXCLUDE })).entries ?? [];
    for (const { name, plan } of peers) diffs.push(...diffFromModel(on.name, entries, name, plan));
  }
  const kinds = (k: string) => diffs.filter((d) => d.startsWith(k)).length;
  s.check(
    `every subtree on every node exactly as its churn model ${when}`,
    diffs.length === 0,
    `${kinds('extra')} resurrected, ${kinds('lacks')} lost, ${kinds('differs')} changed: ${diffs.slice(0, 6).join('; ')}`,
  );
}

interface RaceOp {
  op: 'write' | 'unlink' | 'rename';
  path?: string;
  from?: string;
  to?: string;
  content?: string;
  mtimeS?: number;
}

/** 2. Concurrent edits, deletes and renames of shared paths, at one instant on all four. */
async function racesResolve(s: Scenario): Promise<void> {
  const n1 = s.node('n1');
  await n1.$`mkdir -p ${`${n1.info.dataDir}/shared`}`;
  for (const f of ['two.txt', 'four.txt', 'contested.txt', 'doomed.txt', 'doc.txt']) await n1.writeFile(`${n1.info.dataDir}/shared/${f}`, `original ${f}\n`);
  await s.converged([...NODES], 30_000, { exclude: EXCLUDE });
  await quiet(s, 'after the shared files were made');
  const t = Math.floor(Date.now() / 1000);
  const w = (path: string, content: string, mtimeS?: number): RaceOp => ({ op: 'write', path: `shared/${path}`, content, ...(mtimeS === undefined ? {} : { mtimeS }) });
  const ops: Record<Name, RaceOp[]> = {
    n1: [w('two.txt', 'two-way edit by n1\n', t), w('four.txt', 'four-way edit by n1\n', t + 10), { op: 'rename', from: 'shared/doc.txt', to: 'shared/doc-renamed.txt' }],
    n2: [w('four.txt', 'four-way edit by n2\n', t + 11), { op: 'unlink', path: 'shared/contested.txt' }, w('doc.txt', 'doc edited by n2 while n1 renamed it\n')],
    n3: [w('two.txt', 'two-way edit by n3\n', t + 1), w('four.txt', 'four-way edit by n3\n', t + 12), { op: 'unlink', path: 'shared/doomed.txt' }],
    n4: [w('four.txt', 'four-way edit by n4\n', t + 13), w('contested.txt', 'edited by n4 while n2 deleted it\n')],
  };
  const at = Date.now() + 1500;
  const b64 = (x: string | undefined) => (x === undefined ? undefined : Buffer.from(x, 'latin1').toString('base64'));
  const ran = await Promise.all(
    NODES.map((n) =>
      runRemoteScript<{ startedLateMs: number }>(s.node(n), 'race', {
        root: s.node(n).info.dataDir,
        at,
        ops: ops[n].map((o) => ({ ...o, path: b64(o.path), from: b64(o.from), to: b64(o.to), content: b64(o.content) })),
      }),
    ),
  );
  s.figure('race_started_late_ms_max', Math.max(...ran.map((r) => r.startedLateMs)));
  const c = await s.converged([...NODES], 60_000, { exclude: EXCLUDE });
  s.figure('race_converged_ms', c.elapsedMs);
  await quiet(s, 'after the races');
  await s.converged([...NODES], 30_000, { exclude: EXCLUDE });

  const files = await sharedFiles(s.node('n1'));
  const at1 = (p: string) => files.get(`shared/${p}`);
  const copies = [...files.entries()].filter(([p]) => p.includes('.sync-conflict-'));
  const copiesOf = (stem: string) => copies.filter(([p]) => p.startsWith(`shared/${stem}.sync-conflict-`)).map(([, h]) => h);
  const same = (a: (string | undefined)[], b: string[]) => JSON.stringify([...a].sort()) === JSON.stringify(b.map(sha).sort());
  s.check('two-way edit: the newer version (n3) everywhere, the other kept as a conflict copy', at1('two.txt') === sha('two-way edit by n3\n') && same(copiesOf('two'), ['two-way edit by n1\n']), describe(files, 'two'));
  s.check(
    'four-way edit: the newest (n4) everywhere, the three others kept as conflict copies',
    at1('four.txt') === sha('four-way edit by n4\n') && same(copiesOf('four'), ['four-way edit by n1\n', 'four-way edit by n2\n', 'four-way edit by n3\n']),
    describe(files, 'four'),
  );
  s.check('a delete racing an edit: the edit stays', at1('contested.txt') === sha('edited by n4 while n2 deleted it\n'), describe(files, 'contested'));
  s.check(
    'a rename racing an edit: the edit stays at the old name, the renamed original at the new one',
    at1('doc.txt') === sha('doc edited by n2 while n1 renamed it\n') && at1('doc-renamed.txt') === sha('original doc.txt\n'),
    describe(files, 'doc'),
  );
  s.check('a deleted file stays deleted', at1('doomed.txt') === undefined, describe(files, 'doomed'));
  s.figure('concurrent_losers', 4);
  s.figure('conflict_copies', copies.length);
  s.check('one conflict copy per losing concurrent edit, no more', copies.length === 4, `${copies.length} copies`);
}

/** 3. One change at a time: files transferred and echoes per change. */
async function steadyStateCost(s: Scenario): Promise<void> {
  let transfers = 0;
  let echoes = 0;
  let worst = 0;
  for (let i = 0; i < SINGLE_CHANGES; i++) {
    const origin = NODES[i % NODES.length] as Name;
    const before = await Promise.all(NODES.map((n) => readStatus(s.node(n))));
    const logged = await filesTransferred(s);
    const node = s.node(origin);
    await node.writeFile(`${node.info.dataDir}/shared/single-${i}.txt`, `single change ${i} on ${origin}\n`);
    await s.converged([...NODES], 30_000, { exclude: EXCLUDE });
    await quiet(s, `after single change ${i}`);
    const after = await Promise.all(NODES.map((n) => readStatus(s.node(n))));
    const sent = (await filesTransferred(s)) - logged;
    transfers += sent;
    worst = Math.max(worst, sent);
    echoes += NODES.reduce((a, n, k) => (n === origin ? a : a + batchesOf([after[k] as DaemonStatus]) - batchesOf([before[k] as DaemonStatus])), 0);
  }
  s.figure('transfers_per_change', transfers / SINGLE_CHANGES);
  s.figure('echoes_per_change', echoes / SINGLE_CHANGES);
  s.check('one change costs at most 3 file transfers in a 4-node mesh', worst <= 3, `worst ${worst}`);
  s.check('no echo: only the node that made a change sends anything', echoes === 0, `${echoes} batches from receiving nodes`);
}

/** 4. kill -9 mid-churn, start again with the same config → converged, models exact. */
async function killedDaemonCatchesUp(s: Scenario, peers: readonly Peer[]): Promise<void> {
  const churn = Promise.all(peers.map(({ node, plan }) => runChurn(node, plan.next(160), { opsPerSecond: OPS_PER_SECOND })));
  await sleep(2000);
  await s.daemon('n3').kill();
  await sleep(3000);
  await s.startDaemon('n3', peersOf(s, 'n3'), { mesh: true, nodeName: 'n3' });
  await s.awaitReady('n3', { figure: 'killed_restart_ready_ms' });
  s.figure('killed_churn_ops', total(await churn));
  const c = await s.converged([...NODES], CONVERGE_MS, { exclude: EXCLUDE });
  s.figure('killed_converge_ms', c.elapsedMs);
  await modelsExact(s, peers, 'after n3 was killed and restarted');
}

/** 5. n4 cut off from its peers while everyone churns, then back → converged, models exact. */
async function offlineNodeCatchesUp(s: Scenario, peers: readonly Peer[]): Promise<void> {
  // Partitioned from every peer (not disconnect()): the harness still drives n4's own writes.
  const others = NODES.filter((n) => n !== 'n4');
  for (const o of others) await s.cluster.partition('n4', o);
  const off = Date.now();
  const ops = Math.max(20, Math.floor(((OFFLINE_MS - 5000) / 1000) * 4));
  const churn = await Promise.all(peers.map(({ node, plan }) => runChurn(node, plan.next(ops), { opsPerSecond: 4, deadlineMs: OFFLINE_MS + 60_000 })));
  await sleep(Math.max(0, OFFLINE_MS - (Date.now() - off)));
  for (const o of others) await s.cluster.heal('n4', o);
  s.figure('offline_ms', Date.now() - off);
  s.figure('offline_churn_ops', total(churn));
  const c = await s.converged([...NODES], CONVERGE_MS, { exclude: EXCLUDE });
  s.figure('offline_converge_ms', c.elapsedMs);
  await modelsExact(s, peers, `after n4 was cut off for ${OFFLINE_MS / 1000} s`);
}

/** No loop: replication goes quiet; the mesh counters say why not when it does not. */
async function replicationGoesQuiet(s: Scenario): Promise<void> {
  const q = await awaitQuiet(s.nodes(...NODES), { quietMs: QUIET_MS, deadlineMs: QUIET_DEADLINE_MS });
  const st = await Promise.all(NODES.map((n) => readStatus(s.node(n))));
  const sum = (k: 'bounces' | 'conflicts' | 'refused') => st.reduce((a, x) => a + (x.mesh?.[k] ?? 0), 0);
  s.figure('bounces', sum('bounces'));
  s.figure('conflicts_seen', sum('conflicts'));
  s.figure('state_paths_n1', st[0]?.mesh?.paths ?? 0);
  s.check(`replication quiet (all idle, batch counters still for ${QUIET_MS} ms) within ${QUIET_DEADLINE_MS} ms`, q.ok, q.detail);
  s.check('no bounce and no refused manifest anywhere', sum('bounces') === 0 && sum('refused') === 0, `bounces ${sum('bounces')}, refused ${sum('refused')}`);
}

async function quiet(s: Scenario, when: string): Promise<void> {
  const q = await awaitQuiet(s.nodes(...NODES), { quietMs: 1000, deadlineMs: QUIET_DEADLINE_MS });
  s.check(`quiet ${when}`, q.ok, q.detail);
}

/** Files the daemons staged on their peers, all batches so far (from their logs). */
async function filesTransferred(s: Scenario): Promise<number> {
  let n = 0;
  for (const name of NODES) for (const e of await daemonReports(s, name)) if (e.kind === 'batch') n += e.stats.filesTransferred;
  return n;
}

/** Regular files below shared/ on `node`: path → sha256. */
async function sharedFiles(node: NodeSession): Promise<Map<string, string>> {
  const d = await digestTree(node, { full: true, exclude: EXCLUDE });
  return new Map((d.entries ?? []).filter((e) => e.t === 'f' && e.p.startsWith('shared/')).map((e) => [e.p, e.h ?? '']));
}

async function conflictCopies(node: NodeSession): Promise<string[]> {
  const d = await digestTree(node, { full: true, exclude: EXCLUDE });
  return (d.entries ?? []).map((e) => e.p).filter((p) => p.includes('.sync-conflict-'));
}

function sha(text: string): string {
  return createHash('sha256').update(text, 'latin1').digest('hex');
}

function describe(files: Map<string, string>, stem: string): string {
  return [...files.keys()].filter((p) => p.startsWith(`shared/${stem}`)).join(', ') || `no shared/${stem}*`;
}

function total(rs: readonly ChurnResult[]): number {
  return rs.reduce((a, r) => a + r.applied, 0);
}

/** Paths of `subtree` in a node's digest that differ from the planner's model (type, file size), both ways: 'lacks …', 'differs …', 'extra …'. */
function diffFromModel(on: string, entries: readonly DigestEntry[], subtree: string, plan: ChurnPlanner): string[] {
  const actual = new Map(entries.filter((e) => e.p === subtree || e.p.startsWith(`${subtree}/`)).map((e) => [e.p, e]));
  const out: string[] = [];
  for (const [p, m] of plan.expected()) {
    const key = escapePath(p);
    const e = actual.get(key);
    actual.delete(key);
    const want = m.type === 'file' ? 'f' : m.type === 'dir' ? 'd' : 'l';
    if (!e) out.push(`lacks ${on}:${key}`);
    else if (e.t !== want || (want === 'f' && e.s !== m.size)) out.push(`differs ${on}:${key}: ${e.t}${e.s ?? ''}, model ${want}${want === 'f' ? m.size : ''}`);
  }
  for (const key of actual.keys()) out.push(`extra ${on}:${key}`);
  return out;
}
