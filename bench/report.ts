/**
 * The markdown report of one run (pure): a table per workload, contestant by contestant, with
 * percentiles or times and the ratios to livemirror (and, for bursts, to the floor); how each
 * figure was measured; the machine. Contestants without figures (not installed, failed) keep
 * their row, with the reason below the table.
 */
import { CONTESTANTS, type ContestantName } from './config.js';
import { fmtCount, fmtMs, fmtRatio, sizeLabel } from './format.js';
import type { BenchReport, BigfileResult, FarmResult, BigtreeResult, BurstResult, IdleResult, LatencyResult, MeshdbResult, SshLatencyResult, StatusResult, WorkloadResult } from './results.js';
import { median, ratio, type LatencySummary } from './stats.js';

/** File names (relative to the markdown file) of the charts to show, where rendered. */
export interface ChartLinks {
  readonly latency?: string;
  readonly burst?: string;
}

const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
/** A table whose first column is left-aligned and the rest right-aligned (figures), or all left. */
const table = (head: readonly string[], rows: readonly (readonly string[])[], figures = true) => [row(head), row(head.map((_, i) => (i === 0 || !figures ? '---' : '---:'))), ...rows.map(row)];
const order = (c: ContestantName) => CONTESTANTS.indexOf(c);
const byContestant = <T extends WorkloadResult>(rs: readonly T[]) => [...rs].sort((a, b) => order(a.contestant) - order(b.contestant));
/** A row's name: the contestant, or its variant where a workload runs one in two ways. */
const labelOf = (r: WorkloadResult) => ('label' in r ? r.label : r.contestant);
/** The reasons after a section's table, behind a blank line; none when every result is ok. */
const reasonLines = (rs: readonly WorkloadResult[]) => {
  const lines = reasons(rs);
  return lines.length > 0 ? ['', ...lines] : [];
};
const reasons = (rs: readonly WorkloadResult[]) => rs.flatMap((r) => (r.status === 'ok' ? [] : [`- ${labelOf(r)}: ${r.status === 'failed' ? `failed: ${r.reason}` : r.reason}`]));

/** A latency row: samples, misses (bold when any), the percentiles and the p50's ratio to `refP50`; the status where there are no figures. */
function latencyRow(r: LatencyResult | SshLatencyResult, refP50: number): string[] {
  if (r.status !== 'ok') return [labelOf(r), r.status, '—', '—', '—', '—', '—', '—'];
  const s: LatencySummary = r.summary;
  return [labelOf(r), String(s.n), s.misses === 0 ? '0' : `**${s.misses}**`, fmtMs(s.p50), fmtMs(s.p90), fmtMs(s.p99), fmtMs(s.max), fmtRatio(ratio(s.p50, refP50))];
}

function latencySection(rs: readonly LatencyResult[], links: ChartLinks): string[] {
  if (rs.length === 0) return [];
  const lm = rs.find((r) => r.contestant === 'livemirror' && r.status === 'ok')?.summary.p50 ?? NaN;
  const rows = byContestant(rs).map((r) => latencyRow(r, lm));
  const deadlines = byContestant(rs)
    .map((r) => `${r.contestant} ${fmtMs(r.deadlineMs)}`)
    .join(', ');
  return [
    '## Latency: one small file → on all replicas',
    '',
    'One small file written to the source, until it is present with the right size and content on every replica. ' +
      'Percentiles are nearest-rank over the samples that arrived; a sample past its deadline is a miss, counted here and shown in the JSON.',
    '',
    ...table(['contestant', 'samples', 'misses', 'p50', 'p90', 'p99', 'max', 'p50 ÷ livemirror'], rows),
    ...reasonLines(rs),
    '',
    `Deadlines per sample: ${deadlines}. ` +
      "**lsyncd-default's latency is its delay**: default.rsync waits `delay = 15` s after a change before it runs rsync, so its figure is 15 s plus one rsync, by design, not a fault. " +
      'rsync-loop runs every 5 s; each sample starts at a random (seeded) phase of that period, so its latency is the wait for the next run (2.5 s on average) plus the rsync.',
    ...(links.latency ? ['', `![latency per contestant](${links.latency})`] : []),
    '',
  ];
}

/** The median over a burst's runs of one figure. */
const med = (r: BurstResult, f: (run: BurstResult['runs'][number]) => number) => median(r.runs.map(f));

const OWN_COUNT: Record<string, string> = { rsyncBatches: 'batches + full syncs', rsyncCalls: '"Calling rsync" lines', rsyncRuns: 'rsync runs' };

function burstSection(rs: readonly BurstResult[], links: ChartLinks): string[] {
  const bySize = new Map<string, BurstResult[]>();
  for (const r of rs) bySize.set(`${r.size.files}x${r.size.dirs}`, [...(bySize.get(`${r.size.files}x${r.size.dirs}`) ?? []), r]);
  const out: string[] = [];
  for (const group of bySize.values()) {
    const size = group[0]!.size;
    const okFig = (c: ContestantName, f: (run: BurstResult['runs'][number]) => number) => {
      const r = group.find((g) => g.contestant === c && g.status === 'ok');
      return r ? med(r, f) : NaN;
    };
    const floorLast = okFig('floor', (x) => x.fromLastMs);
    const floorFirst = okFig('floor', (x) => x.fromFirstMs);
    const lmLast = okFig('livemirror', (x) => x.fromLastMs);
    const rows = byContestant(group).map((r) => {
      if (r.status !== 'ok') return [r.contestant, r.status, '—', '—', '—', '—', '—', '—'];
      const first = med(r, (x) => x.fromFirstMs);
      const last = med(r, (x) => x.fromLastMs);
      const per1000 = med(r, (x) => (x.rsyncInvocations / size.files) * 1000);
      const own = Object.keys(r.runs[0]?.selfCounts ?? {})[0];
      const ownPer1000 = own === undefined ? NaN : med(r, (x) => ((x.selfCounts[own] ?? NaN) / size.files) * 1000);
      return [
        r.contestant,
        fmtMs(first),
        fmtMs(last),
        `${fmtRatio(ratio(first, floorFirst))} / ${fmtRatio(ratio(last, floorLast))}`,
        fmtRatio(ratio(last, lmLast)),
        fmtCount(Number(per1000.toFixed(1))),
        own === undefined ? '—' : `${fmtCount(Number(ownPer1000.toFixed(1)))} (${OWN_COUNT[own] ?? own})`,
        r.runs.some((x) => x.confirmed === 'later') ? 'later' : 'at once',
      ];
    });
    out.push(
      `## Burst: ${sizeLabel(size)} → converged on all replicas`,
      '',
      `Written as fast as one process can (writing took ${fmtMs(median(group.flatMap((g) => g.runs.map((x) => x.writeMs))))}, median over all runs: a contestant busy during the writes slows them), then polled until every replica holds every file; ` +
        `medians of ${size.runs} run${size.runs === 1 ? '' : 's'} per contestant, each on a fresh tree. floor is one \`rsync -a\` of the finished tree to the replicas in parallel, started after the last write.`,
      '',
      ...table(['contestant', 'from first write', 'from last write', '÷ floor (first / last)', '÷ livemirror (last)', 'rsync runs per 1,000 files (/proc)', 'own count per 1,000 files', 'full check'], rows),
      ...(reasons(group).length > 0 ? ['', ...reasons(group)] : []),
      '',
    );
  }
  if (out.length === 0) return [];
  out.push(
    '"full check": the trees (names, types, modes, sizes, mtimes, content) compared equal at once when every file had arrived with its size (`at once`), or only later (`later`: the time shown is then when they did). ' +
      '"rsync runs" are counted for every contestant alike by a /proc scan every 20 ms (an rsync process whose parent is not rsync, below the benchmark process); an rsync that starts and ends between two scans is missed, so these are lower bounds. ' +
      "The contestant's own count (livemirror: batches + full syncs from its status; lsyncd: its \"Calling rsync\" log lines; loops: the runs started) is shown beside it.",
    ...(links.burst ? ['', `![burst convergence per contestant](${links.burst})`] : []),
    '',
  );
  return out;
}

function sshLatencySection(rs: readonly SshLatencyResult[]): string[] {
  if (rs.length === 0) return [];
  const ref = rs.find((r) => r.contestant === 'lsyncd-tuned' && r.status === 'ok')?.summary.p50 ?? NaN;
  return [
    '## Latency over ssh: one small file → one replica behind sshd',
    '',
    'The latency workload\'s samples with ONE replica, reached over ssh on 127.0.0.1: an sshd of the benchmark\'s own, logging in as a user whose shell is `/bin/sh` ' +
      "(sshd runs every session's command through the user's shell; root's `.bashrc` here runs `pyenv init`, ~0.5 s a session, a quirk of the machine). " +
      'livemirror keeps one ssh connection per replica (an OpenSSH master) and runs every rsync over it; "no connection sharing" is livemirror with `sshConnectionSharing: false`, a fresh ssh login per rsync; ' +
      "lsyncd-tuned runs one rsync, so one ssh key exchange and login, per change. Issue #8's target: livemirror's p50 at most 100 ms and at most 0.6× lsyncd-tuned's.",
    '',
    ...table(['contestant', 'samples', 'misses', 'p50', 'p90', 'p99', 'max', 'p50 ÷ lsyncd-tuned'], byContestant(rs).map((r) => latencyRow(r, ref))),
    ...reasonLines(rs),
    '',
  ];
}

const MiB = 1024 * 1024;
const sizeOf = (bytes: number) => (bytes >= 1024 * MiB ? `${fmtCount(bytes / 1024 / MiB)} GiB` : `${fmtCount(bytes / MiB)} MiB`);

function bigfileSection(rs: readonly BigfileResult[]): string[] {
  if (rs.length === 0) return [];
  const medMs = (r?: BigfileResult) => (r?.status === 'ok' ? median(r.runs.map((x) => x.convergeMs)) : NaN);
  const floorMs = medMs(rs.find((r) => r.contestant === 'floor'));
  const rows = byContestant(rs).map((r) => {
    if (r.status !== 'ok') return [labelOf(r), r.status, '—', '—', '—', '—'];
    const rx = median(r.runs.map((x) => x.loRxBytes));
    return [labelOf(r), String(r.runs.length), fmtMs(medMs(r)), fmtRatio(ratio(medMs(r), floorMs)), (rx / MiB).toFixed(2), fmtRatio(ratio(rx, r.changedBytes))];
  });
  const { sizeBytes, changedBytes } = rs[0]!;
  return [
    `## Big file over ssh: ${sizeOf(sizeBytes)}, ${sizeOf(changedBytes)} changed in the middle → one replica`,
    '',
    `A file of random bytes that the replica already holds; ${sizeOf(changedBytes)} at its middle overwritten in place (same size), then polled every 25 ms until the replica's file has the source's size, mtime (ns) and bytes (the changed region and samples around it). ` +
      'Over a remote shell rsync sends a delta by default, so what crosses the wire should be near the changed bytes plus its block checksums. ' +
      '"MiB on lo" is what the loopback interface received from the change to equality (/proc/net/dev): the ssh traffic of both directions, each byte once; any other loopback traffic of the machine meanwhile counts too. ' +
      'livemirror sends it through its kept ssh connection; lsyncd-tuned (delay 0, `rsh` = the same ssh) and floor, one plain `rsync -a -e SSH` started right after the change, each pay one ssh login (~0.3 s here). Medians over the runs, each on a fresh file.',
    '',
    ...table(['contestant', 'runs', 'equal after', '÷ floor', 'MiB on lo', '÷ the change'], rows),
    ...reasonLines(rs),
    '',
  ];
}

function bigtreeSection(rs: readonly BigtreeResult[]): string[] {
  if (rs.length === 0) return [];
  const medSet = (r?: BigtreeResult) => (r?.status === 'ok' ? median(r.runs.map((x) => x.setMs)) : NaN);
  const ref = medSet(rs.find((r) => r.contestant === 'lsyncd-tuned'));
  const rows = byContestant(rs).map((r) => {
    if (r.status !== 'ok') return [r.contestant, r.status, '—', '—', '—', '—'];
    const own = r.runs.flatMap((x) => (x.ownMs === undefined ? [] : [x.ownMs]));
    return [r.contestant, String(r.runs.length), fmtMs(medSet(r)), fmtRatio(ratio(medSet(r), ref)), own.length ? fmtMs(median(own)) : '—', `${median(r.runs.map((x) => x.rssMiB)).toFixed(0)} MiB`];
  });
  return [
    `## Start-up on ${fmtCount(rs[0]!.dirs)} directories (inotify)`,
    '',
    `A tree of empty directories, no initial sync (livemirror \`--no-initial-sync\`, lsyncd \`init = false\`), each started ${rs[0]!.runs.length} times, alternating. ` +
      '"Watched after" is measured from outside the same way for both (bench/watch-probe.ts): from the process start to its last CPU tick once all watches (every directory and the root) are set — ' +
      "counting the watches in /proc/PID/fdinfo while they are set would stall the process measured. livemirror's own figure is its `watching ... in N ms` log line. RSS is read right then. Medians.",
    '',
    ...table(['contestant', 'runs', 'watched after', '÷ lsyncd-tuned', 'own figure', 'RSS'], rows),
    ...reasonLines(rs),
    '',
  ];
}

function idleSection(rs: readonly IdleResult[]): string[] {
  if (rs.length === 0) return [];
  const rows = byContestant(rs).map((r) =>
    r.status === 'ok' ? [r.contestant, `${(r.cpuPercent ?? NaN).toFixed(3)}%`, (r.switchesPerSecond ?? NaN).toFixed(2), `${((r.windowMs ?? NaN) / 1000).toFixed(0)} s`] : [r.contestant, '—', '—', '—'],
  );
  return [
    '## Idle: nothing changes',
    '',
    ...table(['contestant', 'CPU (% of one)', 'context switches a second', 'window'], rows),
    '',
    ...reasons(rs),
    `The daemon started on its tree, ${fmtMs(rs[0]?.settleMs ?? NaN)} for its startup to settle, then its process (all threads) read from /proc at the start and the end of the window: user + system time, voluntary + involuntary context switches. rsync-loop is not measured: it runs an rsync for every replica every 5 s whether anything changed or not.`,
    '',
  ];
}

function aloneSection(mdb?: MeshdbResult, st?: StatusResult, farm?: FarmResult): string[] {
  const rows: string[][] = [];
  const why = (r: WorkloadResult) => (r.status === 'ok' ? '' : `${r.status}: ${r.reason}`);
  if (farm)
    rows.push([
      'farm',
      farm.status === 'ok'
        ? `the scenario farm-1to4 (netns cluster, 4 web nodes behind rsync daemons, uploads churning, web3 down ${fmtMs(farm.outageMs ?? NaN)}): lag of the 3 live replicas meanwhile p50 ${fmtMs(farm.liveLagP50Ms ?? NaN)}, p99 ${fmtMs(farm.liveLagP99Ms ?? NaN)}, max ${fmtMs(farm.liveLagMaxMs ?? NaN)} (daemon status, sampled); probe files written → on the live replicas p50 ${fmtMs(farm.delayP50Ms ?? NaN)}, p99 ${fmtMs(farm.delayP99Ms ?? NaN)}`
        : why(farm),
    ]);
  if (mdb)
    rows.push([
      'meshdb',
      mdb.status === 'ok'
        ? `${fmtCount(mdb.recorded ?? NaN)} paths recorded by a catch-up scan in ${fmtMs(mdb.recordMs ?? NaN)}; state database ${(mdb.dbMiB ?? NaN).toFixed(1)} MiB on disk (du)`
        : why(mdb),
    ]);
  if (st) rows.push(['status', st.status === 'ok' ? `\`livemirror status\` against a running daemon: median ${fmtMs(st.medianMs)} wall time over ${st.samplesMs.length} runs (node start included)` : why(st)]);
  if (rows.length === 0) return [];
  return ['## livemirror alone', '', ...table(['workload', 'result'], rows, false), ''];
}

/** The whole markdown file. */
export function renderMarkdown(r: BenchReport, links: ChartLinks = {}): string {
  const m = r.machine;
  const of = <W extends WorkloadResult['workload']>(w: W) => r.results.filter((x): x is Extract<WorkloadResult, { workload: W }> => x.workload === w);
  // The ssh workloads describe their contestants (one ssh replica) in their own sections.
  const overSsh = (x: WorkloadResult) => x.workload === 'sshlatency' || x.workload === 'bigfile';
  const used = new Set(r.results.filter((x) => !overSsh(x)).map((x) => x.contestant));
  const load = (l?: readonly number[]) => (l ? l.map((x) => x.toFixed(1)).join(' ') : '—');
  return [
    `# livemirror side by side: ${r.mode} run of ${r.startedAt}`,
    '',
    `${m.cpus} CPUs (${m.cpuModel}), Linux ${m.kernel}, Node ${m.node}, ${m.rsync}, lsyncd ${m.lsyncd}; commit ${m.commit}. ` +
      `Load average ${load(m.loadavgStart)} at the start, ${load(m.loadavgEnd)} at the end. ` +
      'One run on one machine: absolute times move with its load; compare within a table. ' +
      'Every replica is a local directory on the same disk as the source (over ssh on 127.0.0.1 in the ssh workloads).',
    '',
    ...latencySection(of('latency'), links),
    ...burstSection(of('burst'), links),
    ...idleSection(of('idle')),
    ...sshLatencySection(of('sshlatency')),
    ...bigfileSection(of('bigfile')),
    ...bigtreeSection(of('bigtree')),
    ...aloneSection(of('meshdb')[0], of('status')[0], of('farm')[0]),
    ...(used.size > 0 ? ['## Contestants', '', ...CONTESTANTS.filter((c) => used.has(c)).map((c) => `- **${c}**: ${r.setups[c]}`), ''] : []),
  ].join('\n');
}
