/** Where a replica lives; parsed from the `target` text of the config (see parseTarget). */
export type Target =
  | { kind: 'local'; path: string }
  | { kind: 'ssh'; user?: string; host: string; port?: number; path: string }
  /** `path` is relative to the module ('' = the module's root). */
  | { kind: 'daemon'; user?: string; host: string; port?: number; module: string; path: string };

const EXPECTED = 'expected rsync://host/module or host:/path or /local/path';

/**
 * Parses a replica's target text. Pure; never throws.
 *
 * Accepted forms (rsync's own syntax, so what works with plain rsync works here):
 *  - local path: `/abs/path`, or a relative path (`./x`, `x`, `a/b:c`; the caller resolves it);
 *    a `:` after the first `/` does not make a path remote, as in rsync;
 *  - rsync over ssh: `[user@]host:/abs/path`, `[user@]host:relative/to/home`, `[user@][::1]:/path`,
 *    and `ssh://[user@]host[:port]/abs/path` (the only form that carries a port);
 *  - rsync daemon: `rsync://[user@]host[:port]/module[/path]` and `[user@]host::module[/path]`.
 * Trailing slashes are dropped (except `/` itself). Hosts and users that would reach ssh as an
 * option (leading `-`) or carry spaces, quotes or shell characters are rejected, as is an empty
 * remote path (`host:` would mirror into the home directory itself; write `host:.` to mean it).
 * Anything else yields `{ error }` with a message that quotes the text.
 */
export function parseTarget(text: string): Target | { error: string } {
  const bad = (why?: string) => ({ error: why ? `${why} in "${text}"` : `${EXPECTED}, got "${text}"` });
  if (text === '') return bad();
  if (text.includes('\0')) return bad('a NUL byte');

  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(text);
  if (scheme) {
    const name = scheme[1]!.toLowerCase();
    if (name === 'rsync') return parseUrl(text.slice(scheme[0].length), 'daemon', bad);
    if (name === 'ssh') return parseUrl(text.slice(scheme[0].length), 'ssh', bad);
    return bad();
  }

  // rsync's rule: a colon before the first slash makes it remote (`[::1]:/p` has a bracketed host).
  const firstSlash = text.indexOf('/');
  const bracket = /^(?:[^@/\s[]+@)?\[[^\]/]*\]/.exec(text);
  const firstColon = text.indexOf(':', bracket ? bracket[0].length : 0);
  const hostEnd = bracket ? bracket[0].length : firstColon;
  if (firstColon < 0 || (firstSlash >= 0 && firstSlash < hostEnd)) return { kind: 'local', path: trimSlashes(text) };
  const hostPart = /^((?:[^@/\s]+@)?(?:\[[^\]/]*\]|[^/:[\]@\s]+))(::?)(.*)$/s.exec(text);
  if (!hostPart) return bad('a malformed host');
  const auth = splitUserHost(hostPart[1]!);
  if ('error' in auth) return bad(auth.error);
  const rest = hostPart[3]!;
  if (hostPart[2] === '::') return daemonPath(auth.user, auth.host, undefined, rest, bad);
  if (rest === '') return bad('an empty remote path (use host:. for the home directory)');
  return withUser({ kind: 'ssh', host: auth.host, path: trimSlashes(rest) }, auth.user);
}

function parseUrl(rest: string, kind: 'daemon' | 'ssh', bad: (why?: string) => { error: string }): Target | { error: string } {
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const tail = slash < 0 ? '' : rest.slice(slash + 1);
  const m = /^(?:([^@]*)@)?(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(authority);
  if (!m) return bad('a malformed host');
  const auth = splitUserHost(m[1] === undefined ? m[2]! : `${m[1]}@${m[2]}`);
  if ('error' in auth) return bad(auth.error);
  let port: number | undefined;
  if (m[3] !== undefined) {
    if (!/^\d{1,5}$/.test(m[3]) || Number(m[3]) < 1 || Number(m[3]) > 65535) return bad(`a bad port "${m[3]}"`);
    port = Number(m[3]);
  }
  if (kind === 'daemon') return daemonPath(auth.user, auth.host, port, tail, bad);
  if (tail === '') return bad('an empty remote path');
  const t: Target = { kind: 'ssh', host: auth.host, path: trimSlashes('/' + tail) };
  if (port !== undefined) t.port = port;
  return withUser(t, auth.user);
}

function daemonPath(
  user: string | undefined,
  host: string,
  port: number | undefined,
  rest: string,
  bad: (why?: string) => { error: string },
): Target | { error: string } {
  const parts = rest.replace(/^\/+/, '');
  const slash = parts.indexOf('/');
  const module = slash < 0 ? parts : parts.slice(0, slash);
  if (module === '') return bad('no rsync module (rsync://host/module)');
  const path = slash < 0 ? '' : parts.slice(slash + 1).replace(/\/+$/, '').replace(/^\/+/, '');
  const t: Target = { kind: 'daemon', host, module, path };
  if (port !== undefined) t.port = port;
  return withUser(t, user);
}

function splitUserHost(s: string): { user?: string; host: string } | { error: string } {
  const at = s.lastIndexOf('@');
  const user = at < 0 ? undefined : s.slice(0, at);
  let host = at < 0 ? s : s.slice(at + 1);
  if (user !== undefined && !/^[A-Za-z0-9._][A-Za-z0-9._-]*\$?$/.test(user)) return { error: `a bad user name "${user}"` };
  if (host.startsWith('[')) {
    if (!/^\[[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?\]$/.test(host) || !host.includes(':')) return { error: `a bad IPv6 address "${host}"` };
    host = host.slice(1, -1);
  } else if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(host)) {
    return { error: host === '' ? 'no host' : `a bad host name "${host}"` };
  }
  return user === undefined ? { host } : { user, host };
}

function withUser<T extends Target>(t: T, user: string | undefined): T {
  if (user !== undefined && t.kind !== 'local') (t as { user?: string }).user = user;
  return t;
}

function trimSlashes(p: string): string {
  const t = p.replace(/\/+$/, '');
  return t === '' && p.startsWith('/') ? '/' : t;
}

/** The host as rsync and ssh want it in `host:path` and URLs: IPv6 addresses in brackets. */
export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
