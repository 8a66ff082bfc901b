import { constants, accessSync, readFileSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { SettleRule } from '../core/tunables.js';
import { parseTarget } from '../core/target.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { ReplicaTunables } from '../core/tunables.js';
import type { Target } from '../core/target.js';
import { configSchema, type RawConfig } from './schema.js';

/** The daemon's whole configuration, validated and resolved (absolute paths, parsed targets). */
export interface Config {
  /** Where it came from: the file path, or "command line". */
  origin: string;
  source: string;
  replicas: ReplicaSpec[];
  excludes: string[];
  initialSync: boolean;
  statusSocket: string;
  logLevel: RawConfig['logLevel'];
  logFormat: RawConfig['logFormat'];
  settle: SettleRule;
  tunables: ReplicaTunables;
  stopTimeoutMs: number;
}

/** A config that cannot be used; the message names the origin, the field and what was expected. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly origin: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(`${origin}: ${field ? `${field}: ` : ''}${detail}`);
  }
}

/** Reads, parses and validates a YAML config file. Throws ConfigError. */
export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '', `cannot read the config file: ${(e as Error).message}`);
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const first = doc.errors[0];
  if (first) throw new ConfigError(file, '', `not valid YAML: ${first.message.split('\n')[0]}`);
  const raw: unknown = doc.toJS();
  return resolveConfig(raw ?? {}, file, path.dirname(path.resolve(file)));
}

/** The quick form: `livemirror run SOURCE REPLICA...` plus flags, validated like a file. */
export function configFromArgs(source: string, replicas: Record<string, unknown>[], extra: Record<string, unknown> = {}): Config {
  return resolveConfig({ source, replicas, ...extra }, 'command line', process.cwd());
}

/** Validates an already parsed config object; relative paths resolve against `baseDir`. */
export function resolveConfig(raw: unknown, origin: string, baseDir: string): Config {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    if (!issue) throw new ConfigError(origin, '', 'invalid configuration');
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0] ?? '';
      throw new ConfigError(origin, fieldName([...issue.path, key]), `unknown key (check its spelling; see livemirror --help)`);
    }
    throw new ConfigError(origin, fieldName(issue.path), issue.message);
  }
  const c = parsed.data;
  const abs = (p: string) => path.resolve(baseDir, expandHome(p));
  const source = checkSource(abs(c.source), origin);

  const names = new Set<string>();
  const replicas = c.replicas.map((r, i): ReplicaSpec => {
    const field = `replicas[${i}]`;
    const parsedTarget = parseTarget(r.target);
    if ('error' in parsedTarget) throw new ConfigError(origin, `${field}.target`, parsedTarget.error);
    const target: Target = parsedTarget.kind === 'local' ? { ...parsedTarget, path: abs(parsedTarget.path) } : parsedTarget;
    if (target.kind === 'local' && isInside(target.path, source))
      throw new ConfigError(origin, `${field}.target`, `a local replica must not lie inside the source ("${source}"): it would replicate itself`);
    if ((r.sshPort !== undefined || r.remoteRsyncPath !== undefined) && target.kind !== 'ssh')
      throw new ConfigError(origin, `${field}.${r.sshPort !== undefined ? 'sshPort' : 'remoteRsyncPath'}`, 'only ssh replicas (host:/path) take this');
    if (r.passwordFile !== undefined && target.kind !== 'daemon')
      throw new ConfigError(origin, `${field}.passwordFile`, 'only rsync:// (rsync daemon) replicas take a password file');
    const passwordFile = r.passwordFile === undefined ? undefined : checkSecretFile(abs(r.passwordFile), origin, `${field}.passwordFile`);
    const identityFile = r.identityFile === undefined ? undefined : checkReadable(abs(r.identityFile), origin, `${field}.identityFile`);
    const knownHostsFile = r.knownHostsFile === undefined ? undefined : checkReadable(abs(r.knownHostsFile), origin, `${field}.knownHostsFile`);
    const name = r.name ?? defaultName(target, i);
    if (names.has(name)) throw new ConfigError(origin, `${field}.name`, `"${name}" is used by another replica; names must be unique`);
    names.add(name);
    return {
      name,
      target,
      targetText: r.target,
      passwordFile,
      identityFile,
      knownHostsFile,
      ...(r.sshPort !== undefined ? { sshPort: r.sshPort } : {}),
      ...(r.remoteRsyncPath !== undefined ? { remoteRsyncPath: r.remoteRsyncPath } : {}),
      rsyncOptions: [...c.rsyncOptions, ...r.rsyncOptions],
      renames: r.renames,
      rsyncPath: c.rsyncPath,
    };
  });

  return {
    origin,
    source,
    replicas,
    excludes: c.excludes,
    initialSync: c.initialSync,
    statusSocket: c.statusSocket === undefined ? defaultStatusSocket() : abs(c.statusSocket),
    logLevel: c.logLevel,
    logFormat: c.logFormat,
    settle: { quietMs: c.settle, stableForMs: c.stableFor, maxHoldMs: c.maxHold, treeHoldMs: c.treeHold },
    tunables: {
      backoffInitialMs: c.retryInitial,
      backoffMaxMs: c.retryMax,
      resyncAfterMs: c.resyncAfter,
      queueCap: c.queueCap,
      batchTimeoutMs: c.batchTimeout,
      ioTimeoutS: c.ioTimeout,
      connectTimeoutS: c.connectTimeout,
      killGraceMs: c.killGrace,
    },
    stopTimeoutMs: c.stopTimeout,
  };
}

/** Where `livemirror status` finds a daemon when no socket is named. */
export function defaultStatusSocket(): string {
  if (process.getuid?.() === 0) return '/run/livemirror.sock';
  const dir = process.env['XDG_RUNTIME_DIR'] ?? os.tmpdir();
  return path.join(dir, `livemirror-${process.getuid?.() ?? 'user'}.sock`);
}

/** `replicas[2].target` from zod's path array. */
export function fieldName(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out;
}

function defaultName(t: Target, i: number): string {
  if (t.kind === 'local') return path.basename(t.path) || `replica${i}`;
  return t.host;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

function isInside(p: string, dir: string): boolean {
  const rel = path.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

function checkSource(p: string, origin: string): string {
  let st;
  try {
    st = statSync(p);
  } catch {
    throw new ConfigError(origin, 'source', `directory "${p}" does not exist`);
  }
  if (!st.isDirectory()) throw new ConfigError(origin, 'source', `"${p}" is not a directory`);
  try {
    accessSync(p, constants.R_OK | constants.X_OK);
  } catch {
    throw new ConfigError(origin, 'source', `directory "${p}" is not readable`);
  }
  return realpathSync(p);
}

function checkReadable(p: string, origin: string, field: string): string {
  try {
    accessSync(p, constants.R_OK);
  } catch {
    throw new ConfigError(origin, field, `file "${p}" does not exist or is not readable`);
  }
  if (!statSync(p).isFile()) throw new ConfigError(origin, field, `"${p}" is not a regular file`);
  return p;
}

function checkSecretFile(p: string, origin: string, field: string): string {
  checkReadable(p, origin, field);
  // rsync refuses a password file that others can read; say so now rather than at the first sync.
  if ((statSync(p).mode & 0o006) !== 0)
    throw new ConfigError(origin, field, `file "${p}" is accessible by others; rsync refuses it (chmod 600 "${p}")`);
  return p;
}
