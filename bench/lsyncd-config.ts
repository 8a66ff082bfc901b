/**
 * lsyncd 2.2's configuration file for the benchmark (pure): one `sync { default.rsync, ... }`
 * per replica, in the foreground (`settings { nodaemon = true }`, and `-nodaemon` on its command
 * line) so that the benchmark owns its pid. Paths go in as Lua strings with every byte that is
 * not plain printable ASCII (and `"`, `\`) written as a decimal escape `\ddd`, which Lua 5.1+
 * reads back byte for byte: no path can end the string or start code.
 */

/** A Lua string literal holding exactly the bytes of `s` (UTF-8). */
export function luaString(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) {
    const safe = b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c;
    // Three digits always, so that a following digit cannot join the escape.
    out += safe ? String.fromCharCode(b) : `\\${String(b).padStart(3, '0')}`;
  }
  return out + '"';
}

export interface LsyncdOptions {
  readonly source: string;
  readonly replicas: readonly string[];
  /**
   * `default`: default.rsync as shipped (delay 15 s, one rsync at a time per sync);
   * `tuned`: delay 0 and maxProcesses 4 per sync.
   */
  readonly flavour: 'default' | 'tuned';
  /**
   * Replicas behind ssh (`user@host:/path`): the remote shell rsync runs, as one string (lsyncd
   * hands it to rsync as `--rsh=...`, which rsync splits on spaces: no spaces inside its words).
   */
  readonly rsh?: string;
  /** false: no startup rsync (`init = false`): lsyncd only sets its watches (bigtree). */
  readonly init?: boolean;
}

/** The config file's text. */
export function lsyncdConfig(o: LsyncdOptions): string {
  const tuned = o.flavour === 'tuned';
  const lines = [
    `-- written by livemirror's bench/ (${o.flavour}): one sync per replica, in the foreground`,
    'settings {',
    '  nodaemon = true,',
    '}',
  ];
  for (const r of o.replicas) {
    lines.push(
      'sync {',
      '  default.rsync,',
      `  source = ${luaString(o.source)},`,
      `  target = ${luaString(r)},`,
      ...(tuned ? ['  delay = 0,', '  maxProcesses = 4,'] : []),
      ...(o.rsh !== undefined ? [`  rsync = { rsh = ${luaString(o.rsh)} },`] : []),
      ...(o.init === false ? ['  init = false,'] : []),
      '}',
    );
  }
  return lines.join('\n') + '\n';
}

/**
 * lsyncd logs this (category Normal, on stdout in the foreground) once a sync's startup rsync is
 * done (lsyncd.lua 2.2.3: `'Startup of ', source, ' -> ', target, ' finished.'`).
 */
export const isStartupFinished = (line: string): boolean => /Startup of .* finished\./.test(line);
