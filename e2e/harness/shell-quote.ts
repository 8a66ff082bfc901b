/**
 * Quoting for the one place a shell is unavoidable: the command string an ssh server hands to the
 * remote user's shell. Every argument is byte-exact (Buffers carry non-UTF-8 names), so the
 * remote program receives exactly the argv the caller passed.
 */

/** One argument: text, or raw bytes for names that are not UTF-8. */
export type Arg = string | Buffer;

/** Words that need no quoting in any POSIX shell. */
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `arg` as one POSIX shell word: bare when safe, else single-quoted with `'` as `'\''`. */
export function quoteArg(arg: Arg): Buffer {
  const bytes = typeof arg === 'string' ? Buffer.from(arg, 'utf8') : arg;
  const text = bytes.toString('latin1');
  if (text.length > 0 && SAFE.test(text)) return bytes;
  return Buffer.from(`'${text.replaceAll("'", `'\\''`)}'`, 'latin1');
}

/** A command line that runs `argv` as-is (no globbing, no expansion), for `sh -c` or ssh exec. */
export function commandLine(argv: readonly Arg[]): Buffer {
  if (argv.length === 0) throw new Error('empty argv');
  const parts: Buffer[] = [];
  argv.forEach((a, i) => {
    if (i > 0) parts.push(Buffer.from(' '));
    parts.push(quoteArg(a));
  });
  return Buffer.concat(parts);
}

/**
 * A shell operator, redirection or special parameter written by the harness itself (never from
 * data): `&&`, `>`, `2>&1`, `&`, `$!`. Kept distinct from arguments so a file name can never
 * become one.
 */
export class ShellOp {
  constructor(readonly text: '&&' | '||' | ';' | '&' | '>' | '>>' | '<' | '2>&1' | '|' | '{' | '}' | '$!') {}
}

/** Joins arguments (quoted) and operators (verbatim) into one command line. */
export function script(parts: readonly (Arg | ShellOp)[]): Buffer {
  const out: Buffer[] = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(Buffer.from(' '));
    out.push(p instanceof ShellOp ? Buffer.from(p.text) : quoteArg(p));
  });
  return Buffer.concat(out);
}

/** Shorthand for `new ShellOp(text)`. */
export function op(text: ShellOp['text']): ShellOp {
  return new ShellOp(text);
}
