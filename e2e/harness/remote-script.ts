import { readFileSync } from 'node:fs';
import type { ExecOptions, ExecResult } from './node.js';
import type { Arg } from './shell-quote.js';

/** The scripts in ./remote/ that run on nodes. */
export type RemoteScript = 'digest' | 'churn' | 'upload';

/** What runs a command on a node (NodeSession does). */
export interface RemoteRunner {
  readonly name: string;
  exec(argv: readonly Arg[], opts?: ExecOptions): Promise<ExecResult>;
}

const sources = new Map<RemoteScript, string>();

function source(name: RemoteScript): string {
  let s = sources.get(name);
  if (s === undefined) {
    s = readFileSync(new URL(`./remote/${name}.mjs`, import.meta.url), 'utf8');
    sources.set(name, s);
  }
  return s;
}

/**
 * Runs a remote script on the node with `node -e` (so only node must be installed there, not
 * this repository), the request as JSON on stdin; resolves with its JSON answer. Throws with the
 * script's stderr on a non-zero exit or unparsable output.
 */
export async function runRemoteScript<T>(
  node: RemoteRunner,
  name: RemoteScript,
  request: unknown,
  opts: { timeoutMs?: number } = {},
): Promise<T> {
  const r = await node.exec(['node', '--input-type=module', '-e', source(name)], {
    stdin: JSON.stringify(request),
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
  if (r.code !== 0) {
    throw new Error(`${node.name}: remote ${name} failed (exit ${r.code ?? r.signal}): ${r.stderr.toString('utf8').trim().slice(-2000)}`);
  }
  try {
    return JSON.parse(r.stdout.toString('utf8')) as T;
  } catch {
    throw new Error(`${node.name}: remote ${name} printed no JSON: ${r.stdout.toString('utf8').slice(0, 500)}`);
  }
}
