/**
 * Finds lsyncd, installing Debian's package when it is missing and this process runs as root
 * (`apt-get install -y lsyncd`, after `apt-get update` if the first try fails). Otherwise says
 * what to install; the lsyncd contestants are then reported as "not installed".
 */
import { execa } from 'execa';
import { lsyncdVersion } from './machine.js';

export type LsyncdAvailability = { readonly ok: true; readonly version: string } | { readonly ok: false; readonly reason: string };

/** The installed lsyncd's version (machine.ts reads it the same way for the report), or undefined. */
async function version(): Promise<string | undefined> {
  const v = await lsyncdVersion();
  return v === 'not installed' ? undefined : v;
}

async function aptGet(args: string[]): Promise<boolean> {
  console.log(`bench: apt-get ${args.join(' ')}`);
  const r = await execa('apt-get', args, { reject: false, timeout: 600_000, env: { DEBIAN_FRONTEND: 'noninteractive' }, stdout: 'ignore', stderr: 'pipe' });
  if (r.exitCode !== 0) console.log(`bench: apt-get ${args[0]} failed (${r.exitCode ?? r.signal}): ${String(r.stderr).trim().split('\n').slice(-3).join(' / ')}`);
  return r.exitCode === 0;
}

let cached: Promise<LsyncdAvailability> | undefined;

/** lsyncd's version, installing it first where allowed; computed once per run. */
export function ensureLsyncd(): Promise<LsyncdAvailability> {
  cached ??= (async (): Promise<LsyncdAvailability> => {
    const have = await version();
    if (have) return { ok: true, version: have };
    if (process.getuid?.() !== 0) {
      const reason = 'not installed (run `apt-get install lsyncd` as root, or run the benchmark as root, to add the lsyncd contestants)';
      console.log(`bench: lsyncd is ${reason}`);
      return { ok: false, reason: 'not installed' };
    }
    if (!(await aptGet(['install', '-y', 'lsyncd']))) {
      if (!(await aptGet(['update'])) || !(await aptGet(['install', '-y', 'lsyncd']))) return { ok: false, reason: 'not installed (apt-get install lsyncd failed)' };
    }
    const now = await version();
    return now ? { ok: true, version: now } : { ok: false, reason: 'not installed (lsyncd still not found after apt-get install)' };
  })();
  return cached;
}
