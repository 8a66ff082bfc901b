import { readFileSync } from 'node:fs';
import type { ExecOptions, ExecResult } from './node.js';
import type { Arg } from './shell-quote.js';

/**
 * The scripts in ./remote/ that run on nodes. Each is one self-contained ES module (node
 * built-ins only) exporting `main(request)`, which returns (or resolves) its JSON-able answer;
 * nothing runs on import, so this machine can import them too (local-tree.ts imports digest).
 */
export type RemoteScript = 'digest' | 'churn' | 'upload' | 'first-seen' | 'markers' | 'make-tree' | 'deep-write' | 'race';

/** What runs a command on a node (NodeSession does). */
export interface RemoteRunner {
  readonly name: string;
  exec(argv: readonly Arg[], opts?: ExecOptions): Promise<ExecResult>;
}

/** What runs a remote script in the background (NodeSession does). */
export interface BackgroundRunner extends RemoteRunner {
  spawnBackground(argv: readonly Arg[], opts: { logFile: string }): Promise<number>;
  waitExit(pid: number, timeoutMs: number): Promise<boolean>;
  readFile(path: string): Promise<Buffer>;
}

/**
 * Appended to a script's source: reads the request (JSON) from argv[1] when given (background
 * runs, whose stdin is /dev/null), else from stdin, calls `main` and prints its answer as JSON.
 * stdin may be non-blocking (an ssh channel): it is read as a stream, never with readFileSync(0).
 */
const DRIVER = `
{
  let request = process.argv[1];
  if (request === undefined) {
    const chunks = [];
    for await (const c of process.stdin) chunks.push(c);
    request = Buffer.concat(chunks).toString('utf8');
  }
  process.stdout.write(JSON.stringify(await main(JSON.parse(request))));
}
`;

const sources = new Map<RemoteScript, string>();

/** The script's source with the driver appended: what `node --input-type=module -e` runs. */
export function remoteSource(name: RemoteScript): string {
  let s = sources.get(name);
  if (s === undefined) {
    s = readFileSync(new URL(`./remote/${name}.mjs`, import.meta.url), 'utf8') + DRIVER;
    sources.set(name, s);
  }
  return s;
}

function parseAnswer<T>(node: string, name: RemoteScript, text: string): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${node}: remote ${name} printed no JSON: ${text.slice(0, 500)}`);
  }
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
  const r = await node.exec(['node', '--input-type=module', '-e', remoteSource(name)], {
    stdin: JSON.stringify(request),
    timeoutMs: opts.timeoutMs ?? 120_000,
  });
  if (r.code !== 0) {
    throw new Error(`${node.name}: remote ${name} failed (exit ${r.code ?? r.signal}): ${r.stderr.toString('utf8').trim().slice(-2000)}`);
  }
  return parseAnswer<T>(node.name, name, r.stdout.toString('utf8'));
}

/** A remote script running in the background on a node. */
export interface RemoteJob<T> {
  readonly pid: number;
  /** Waits (bounded) until it has exited, then reads its answer. */
  answer(timeoutMs: number): Promise<T>;
}

/**
 * Starts a remote script in the background (detached from the ssh session, so it survives the
 * node going off the network), the request as its argument (keep it small: one argument holds
 * at most 128 KiB); its answer (and anything it prints to stderr) goes to `answerFile` on the node.
 */
export async function startRemoteScript<T>(
  node: BackgroundRunner,
  name: RemoteScript,
  request: unknown,
  opts: { answerFile: string },
): Promise<RemoteJob<T>> {
  const pid = await node.spawnBackground(['node', '--input-type=module', '-e', remoteSource(name), JSON.stringify(request)], {
    logFile: opts.answerFile,
  });
  return {
    pid,
    answer: async (timeoutMs) => {
      if (!(await node.waitExit(pid, timeoutMs))) throw new Error(`${node.name}: remote ${name} (pid ${pid}) still running after ${timeoutMs} ms`);
      return parseAnswer<T>(node.name, name, (await node.readFile(opts.answerFile)).toString('utf8'));
    },
  };
}
