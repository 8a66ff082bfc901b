/**
 * Runs end-to-end scenarios one after another, each as its own process on its own fresh cluster:
 *   npm run e2e                      all of them
 *   npm run e2e -- farm-1to4 faults  the named ones
 *   npm run e2e -- --summary FILE    also write {passed, failed, results} as JSON to FILE
 *   npm run e2e -- --provider NAME   on clusters of that provider (providers/index.ts; default netns)
 *   npm run e2e -- --inventory FILE  the hosts of the ssh provider
 * Prints each scenario's report, then a table and the closing line "N passed, M failed".
 * Needs root (network namespaces, containers). Exit code 1 when any scenario failed.
 * Each scenario runs under `flock /tmp/lm-e2e.lock` (one cluster per machine); E2E_LOCK=held says
 * the caller already holds that lock for the whole run (e.g. the ssh provider's netns-hosts
 * self-test), so the scenarios run without taking it again (which would wait forever).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { DEFAULT_PROVIDER, providerProblem } from './harness/providers/index.js';
import type { ScenarioResult } from './scenarios/lib.js';

export const allScenarios = ['master-slave', 'farm-1to4', 'mesh-4way', 'mesh-loop', 'large-dir', 'faults'] as const;

const here = import.meta.dirname;
const resultsDir = path.join(here, 'results');
export const lockFile = '/tmp/lm-e2e.lock';
const args = process.argv.slice(2);
const VALUED = ['--summary', '--provider', '--inventory'];
/** The value of a flag that takes one (`--flag VALUE` or `--flag=VALUE`). */
function flag(name: string): string | undefined {
  const at = args.indexOf(name);
  if (at >= 0) return args[at + 1];
  return args.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
}
for (const a of args)
  if (a.startsWith('--') && !VALUED.includes(a.split('=')[0] as string)) {
    console.error(`unknown option ${a} (known: ${VALUED.join(', ')})`);
    process.exit(2);
  }
const summaryFile = flag('--summary');
const providerName = flag('--provider') ?? process.env.E2E_PROVIDER ?? DEFAULT_PROVIDER;
const inventory = flag('--inventory') ?? process.env.E2E_INVENTORY;
const problem = providerProblem(providerName, inventory === undefined ? {} : { inventory });
if (problem !== undefined) {
  console.error(problem);
  process.exit(2);
}
const names = args.filter((a, i) => !a.startsWith('--') && !VALUED.includes(args[i - 1] ?? ''));
const chosen = names.length > 0 ? names : [...allScenarios];
for (const n of chosen) if (!existsSync(path.join(here, 'scenarios', `${n}.ts`))) {
  console.error(`unknown scenario "${n}" (known: ${allScenarios.join(', ')})`);
  process.exit(2);
}

/** E2E_LOCK=held: the caller holds lockFile already (see the top of this file). */
const lockHeld = process.env.E2E_LOCK === 'held';
mkdirSync(resultsDir, { recursive: true });
const results: ScenarioResult[] = [];
for (const name of chosen) {
  const file = path.join(resultsDir, `${name}.json`);
  rmSync(file, { force: true });
  // One cluster per machine: scenarios started elsewhere (another shell) wait on the same lock.
  // Bounded: a scenario that hangs past 10 minutes is killed (its cluster is cleaned by the next up()).
  const scenarioArgv = ['node', '--import', 'tsx', path.join(here, 'scenarios', `${name}.ts`)];
  const [cmd, ...cmdArgs] = lockHeld ? scenarioArgv : ['flock', lockFile, ...scenarioArgv];
  const r = await execa(cmd as string, cmdArgs, {
    stdio: 'inherit',
    env: { E2E_PROVIDER: providerName, ...(inventory ? { E2E_INVENTORY: path.resolve(inventory) } : {}) },
    reject: false,
    timeout: 10 * 60_000,
    forceKillAfterDelay: 10_000,
  });
  results.push(
    existsSync(file)
      ? (JSON.parse(readFileSync(file, 'utf8')) as ScenarioResult)
      : { name, passed: false, durationMs: 0, figures: {}, checks: [], error: `exited ${r.exitCode ?? r.signal} without a result` },
  );
}

console.log('\nscenario        result  time     figures');
for (const r of results)
  console.log(
    `${r.name.padEnd(15)} ${r.passed ? 'PASS' : 'FAIL'}    ${`${(r.durationMs / 1000).toFixed(1)}s`.padEnd(8)} ${Object.entries(r.figures)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
const passed = results.filter((r) => r.passed).length;
const failed = results.length - passed;
if (summaryFile) writeFileSync(summaryFile, JSON.stringify({ passed, failed, results }, null, 2));
console.log(`\n${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
