/**
 * zx's `$` for a node: a tagged template that runs one command line in the node's login shell
 * over its ssh connection, so a scenario reads like the runbook an operator would type:
 *
 *   await web2.$`ls -la ${dataDir}`
 *   const { exitCode } = await web1.$`test -e ${path}`.nothrow()
 *   await web1.$({ timeoutMs: 5000 })`sync`
 *
 * Quoting is zx's rule with this harness's byte-exact quoting (shell-quote.ts): the template's
 * own text is shell syntax (pipes, redirections, `&&`), every interpolated value is exactly one
 * word — a hostile file name stays one argument — and an array is several words. A Buffer goes
 * in byte for byte (names that are not UTF-8); a command's output goes in as its stdout without
 * the final newline. Like zx, a non-zero exit (or death by a signal) rejects with an error that
 * carries the output, unless `.nothrow()` or `{ nothrow: true }`.
 */
import type { ExecOptions, ExecResult } from './node.js';
import { type Arg, op, quoteArg, script } from './shell-quote.js';

/** What a template may interpolate. */
export type ShellValue = Arg | number | bigint | boolean | { readonly stdout: string } | readonly ShellValue[];

export interface ShellOptions {
  /** Resolve whatever the exit status (check `exitCode`). Default false: a non-zero exit rejects. */
  readonly nothrow?: boolean;
  /** Kill the command and reject after this long. Default: the runner's (NodeSession: 120 s). */
  readonly timeoutMs?: number;
  /** The command's stdin. Default empty. */
  readonly input?: string | Buffer;
  /** Run in this directory (the line runs after `cd -- DIR || exit 97;`). */
  readonly cwd?: string;
}

/** Runs an already-quoted command line on a node (NodeSession's ssh exec). */
export type LineRunner = (line: Buffer, opts: ExecOptions) => Promise<ExecResult>;

export interface RemoteShell {
  (pieces: TemplateStringsArray, ...values: readonly ShellValue[]): RemoteProcess;
  /** The same `$` with these options (zx: `$({ nothrow: true })\`...\``). */
  (opts: ShellOptions): RemoteShell;
}

/** What a finished command left: zx's ProcessOutput. */
export class RemoteOutput {
  constructor(
    readonly node: string,
    /** The command line as sent (for messages). */
    readonly command: string,
    private readonly result: ExecResult,
  ) {}

  /** Exit status, or null when the command died by a signal. */
  get exitCode(): number | null {
    return this.result.code;
  }

  get signal(): string | undefined {
    return this.result.signal;
  }

  get ok(): boolean {
    return this.result.code === 0;
  }

  get stdout(): string {
    return this.result.stdout.toString('utf8');
  }

  get stderr(): string {
    return this.result.stderr.toString('utf8');
  }

  /** stdout as raw bytes. */
  buffer(): Buffer {
    return this.result.stdout;
  }

  text(): string {
    return this.stdout;
  }

  /** stdout's lines, without the empty one after a final newline. */
  lines(): string[] {
    const lines = this.stdout.split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines;
  }

  json<T = unknown>(): T {
    return JSON.parse(this.stdout) as T;
  }

  toString(): string {
    return this.stdout;
  }
}

/** A command exited non-zero (or by a signal); `output` has what it printed. */
export class RemoteCommandError extends Error {
  override readonly name = 'RemoteCommandError';
  constructor(readonly output: RemoteOutput) {
    const why = output.exitCode === null ? `signal ${output.signal ?? '?'}` : `exit ${output.exitCode}`;
    super(`${output.node}: \`${output.command.slice(0, 300)}\` failed (${why}): ${output.stderr.trim().slice(-2000)}`);
  }

  get exitCode(): number | null {
    return this.output.exitCode;
  }
}

/** A running command: await it for its RemoteOutput; `.nothrow()` and `.timeout()` apply when chained at once. */
export class RemoteProcess implements PromiseLike<RemoteOutput> {
  private readonly result: Promise<RemoteOutput>;

  constructor(
    private readonly node: string,
    private readonly line: Buffer,
    private readonly run: LineRunner,
    private opts: ShellOptions,
  ) {
    // Started on the next microtask, so modifiers chained to the template apply.
    this.result = Promise.resolve().then(() => this.start());
  }

  /** Resolve whatever the exit status. */
  nothrow(v = true): this {
    this.opts = { ...this.opts, nothrow: v };
    return this;
  }

  /** Kill the command and reject after `ms`. */
  timeout(ms: number): this {
    this.opts = { ...this.opts, timeoutMs: ms };
    return this;
  }

  /** The command line as sent. */
  get command(): string {
    return this.line.toString('utf8');
  }

  then<A = RemoteOutput, B = never>(
    onFulfilled?: ((value: RemoteOutput) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.result.then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<RemoteOutput | B> {
    return this.result.catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<RemoteOutput> {
    return this.result.finally(onFinally);
  }

  private async start(): Promise<RemoteOutput> {
    const line = this.opts.cwd === undefined ? this.line : Buffer.concat([script(['cd', '--', this.opts.cwd, op('||'), 'exit', '97', op(';')]), Buffer.from(' '), this.line]);
    const r = await this.run(line, {
      ...(this.opts.timeoutMs === undefined ? {} : { timeoutMs: this.opts.timeoutMs }),
      ...(this.opts.input === undefined ? {} : { stdin: this.opts.input }),
    });
    const out = new RemoteOutput(this.node, this.command, r);
    if (!out.ok && !this.opts.nothrow) throw new RemoteCommandError(out);
    return out;
  }
}

function substitute(v: ShellValue, index: number): Buffer {
  if (v === undefined || v === null) throw new Error(`$: interpolated value #${index + 1} is ${String(v)}`);
  if (Buffer.isBuffer(v) || typeof v === 'string') return quoteArg(v);
  if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return quoteArg(String(v));
  if (typeof (v as { stdout?: unknown }).stdout === 'string') return quoteArg((v as { stdout: string }).stdout.replace(/\n$/, ''));
  throw new Error(`$: cannot interpolate value #${index + 1} (${Object.prototype.toString.call(v)})`);
}

/**
 * The command line of a template: its text as written, each value quoted as one word (an array
 * as one word per element, space-separated, as zx does).
 */
export function commandLineOf(pieces: readonly (string | undefined)[], values: readonly ShellValue[]): Buffer {
  const parts: Buffer[] = [];
  pieces.forEach((piece, i) => {
    if (piece === undefined) throw new Error('$: malformed template (an invalid escape sequence)');
    parts.push(Buffer.from(piece, 'utf8'));
    if (i >= values.length) return;
    const v = values[i] as ShellValue;
    const words = Array.isArray(v) ? (v as readonly ShellValue[]).map((x) => substitute(x, i)) : [substitute(v, i)];
    words.forEach((w, k) => parts.push(k > 0 ? Buffer.concat([Buffer.from(' '), w]) : w));
  });
  return Buffer.concat(parts);
}

/** A `$` bound to one node's runner. */
export function remoteShell(node: string, run: LineRunner, defaults: ShellOptions = {}): RemoteShell {
  function $(first: TemplateStringsArray | ShellOptions, ...values: readonly ShellValue[]): RemoteProcess | RemoteShell {
    if (!Array.isArray(first)) return remoteShell(node, run, { ...defaults, ...(first as ShellOptions) });
    return new RemoteProcess(node, commandLineOf(first as TemplateStringsArray, values), run, defaults);
  }
  return $ as RemoteShell;
}
