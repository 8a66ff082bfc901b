#!/usr/bin/env -S npx tsx
/**
 * mesh-loop: a sync loop, reproduced on demand. The same four-master mesh and the same workload
 * run twice: naive (`meshProtection: off`: plain rsync into every peer, as the classic scripts
 * did without their symlink trick) and protected (the default). Every daemon counts bounces —
 * sending a path in the very state a peer just sent it, i.e. passing on what it received — and
 * the report prints the count per second side by side: climbing in the naive mesh, flat at zero
 * in the protected one.
 *
 * Workload, RUN_MS on each: n1 and n2 each rewrite a file of their own and one they share, a few
 * times a second. Bounded: each run stops after RUN_MS of writes plus DRAIN_MS, or at
 * MAX_BOUNCES, and its daemons are stopped and the trees wiped before the next one.
 * Checks: the protected mesh never bounces, converges and goes quiet; the naive one bounces
 * (or the reproduction does not reproduce). Figures: bounces and their rate for both, and
 * whether the naive mesh even converged.
 */
import { sleep } from 'zx';
import type { ChurnOp } from '../harness/churn.js';
import { runChurn } from '../harness/churn.js';
import { awaitQuiet, readStatus, type Scenario, scenario } from './lib.js';

const NODES = ['n1', 'n2', 'n3', 'n4'] as const;
type Name = (typeof NODES)[number];
const EXCLUDE = [/^\.livemirror$/];
const RUN_MS = 15_000;
const DRAIN_MS = 8_000;
const MAX_BOUNCES = 20_000;
const WRITES_PER_SECOND = 4;

interface Run {
  readonly protection: 'on' | 'off';
  /** Bounces (summed over the four nodes) at each second of the run. */
  readonly perSecond: number[];
  readonly total: number;
}

await scenario('mesh-loop', 'mesh-4way', async (s) => {
  const naive = await run(s, 'off');
  await wipe(s);
  const protectedRun = await run(s, 'on');
  report(s, naive, protectedRun);
  s.check('the naive mesh reproduces the loop (its nodes pass on what they received)', naive.total > 0, `${naive.total} bounces`);
  s.check('the protected mesh never bounces', protectedRun.total === 0, `${protectedRun.total} bounces`);
});

async function run(s: Scenario, protection: 'on' | 'off'): Promise<Run> {
  await Promise.all(
    NODES.map((n) =>
      s.startDaemon(
        n,
        NODES.filter((o) => o !== n).map((o) => s.daemonReplica(o, { name: o })),
        { mesh: true, nodeName: n, meshProtection: protection },
      ),
    ),
  );
  await Promise.all(NODES.map((n) => s.awaitReady(n)));
  // The startup syncs finish first: a naive node's first full sync is `rsync --delete` of its
  // (empty) tree into every peer, which would delete the writers' fresh directory under them.
  const settled = await awaitQuiet(s.nodes(...NODES), { quietMs: 1000, deadlineMs: 30_000 });
  s.check(`the ${protection === 'on' ? 'protected' : 'naive'} mesh finishes its startup syncs`, settled.ok, settled.detail);
  // Naive: a write may still fail (the loop's own damage); counted, not fatal. Protected: fatal.
  const tolerant = protection === 'off';
  const writers = (['n1', 'n2'] as const).map((n) =>
    runChurn(s.node(n), workload(n), { opsPerSecond: WRITES_PER_SECOND, deadlineMs: RUN_MS + 5000, tolerant }),
  );
  // Attached now: a writer that fails must fail the scenario with its report, not crash it unhandled.
  const written = Promise.all(writers);
  written.catch(() => {});
  const perSecond: number[] = [];
  const t0 = Date.now();
  let total = 0;
  for (let i = 0; i < (RUN_MS + DRAIN_MS) / 1000 && total < MAX_BOUNCES; i++) {
    await sleep(Math.max(0, t0 + (i + 1) * 1000 - Date.now()));
    total = await bounces(s);
    perSecond.push(total);
  }
  const results = await written;
  if (tolerant) s.figure('naive_failed_writes', results.reduce((a, r) => a + r.failed.length, 0));
  if (protection === 'on') {
    await s.converged([...NODES], 30_000, { exclude: EXCLUDE });
    const q = await awaitQuiet(s.nodes(...NODES), { quietMs: 2000, deadlineMs: 30_000 });
    s.check('the protected mesh goes quiet', q.ok, q.detail);
  } else {
    const c = await s.converged([...NODES], 10_000, { exclude: EXCLUDE }).then(
      (r) => `converged in ${Math.round(r.elapsedMs)} ms`,
      () => 'not converged within 10 s',
    );
    s.figure('naive_trees', c);
  }
  total = await bounces(s);
  for (const n of NODES) await s.daemon(n).stop();
  return { protection, perSecond, total };
}

/** One file of its own and one shared, rewritten in turn with fresh content and size. */
function workload(n: Name): ChurnOp[] {
  const ops: ChurnOp[] = [{ op: 'mkdirp', path: 'hot' }];
  const count = Math.floor((RUN_MS / 1000) * WRITES_PER_SECOND);
  for (let i = 0; i < count; i++) {
    const path = i % 2 === 0 ? `hot/${n}.txt` : 'hot/shared.txt';
    ops.push({ op: 'write', path, size: 100 + ((i * 37 + (n === 'n1' ? 0 : 11)) % 900), seed: i * 2 + (n === 'n1' ? 1 : 2) });
  }
  return ops;
}

async function bounces(s: Scenario): Promise<number> {
  const st = await Promise.all(NODES.map((n) => readStatus(s.node(n))));
  return st.reduce((a, x) => a + (x.mesh?.bounces ?? 0), 0);
}

/** Empty trees (and mesh state) for the next run. */
async function wipe(s: Scenario): Promise<void> {
  for (const n of NODES) {
    const node = s.node(n);
    await node.$`find ${node.info.dataDir} -mindepth 1 -delete`;
  }
}

function report(s: Scenario, naive: Run, prot: Run): void {
  s.log('bounces per second (summed over n1..n4):');
  s.log('   s   naive   protected');
  const rows = Math.max(naive.perSecond.length, prot.perSecond.length);
  const at = (r: Run, i: number) => (r.perSecond[i] ?? r.total) - (i === 0 ? 0 : (r.perSecond[i - 1] ?? r.total));
  for (let i = 0; i < rows; i++) s.log(`${String(i + 1).padStart(4)} ${String(at(naive, i)).padStart(7)} ${String(at(prot, i)).padStart(11)}`);
  const rate = (r: Run) => r.total / (RUN_MS / 1000);
  s.figure('naive_bounces', naive.total);
  s.figure('protected_bounces', prot.total);
  s.figure('naive_bounces_per_s', rate(naive));
  s.figure('protected_bounces_per_s', rate(prot));
}
