import { constants, accessSync, readFileSync, realpathSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { SettleRule, ReplicaTunables } from '../core/tunables.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import { MESH_DIR } from '../core/mesh-layout.js';
import { configSchema, defaultReplicaName, type RawConfig } from './schema.js';
import { ConfigError, defaultStatusSocket, type ConfigProblem } from './errors.js';

export { ConfigError, defaultStatusSocket, type ConfigProblem } from './errors.js';

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
  /** The change source (watch/select.ts). */
  watcher: RawConfig['watcher'];
  settle: SettleRule;
  tunables: ReplicaTunables;
  stopTimeoutMs: number;
  /** Present when every replica is a peer of a multi-master mesh (mesh/). */
  mesh?: MeshConfig;
}

export interface MeshConfig {
  /** This node's name in every version vector and conflict copy; unique in the mesh. */
  nodeName: string;
  /** false: `meshProtection: off`, the naive mesh that loops (to reproduce one). */
  protection: boolean;
  tombstoneTtlMs: number;
  maxDeleteShare: number;
}

/** Reads, parses and validates a YAML config file. Throws ConfigError. */
export function loadConfigFile(file: string): Config {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(file, '', `cannot read the config file: ${(e as Error).message}`);
  }
  // yaml only for a config file: the quick form does not carry it (a few MiB of RSS).
  const { parseDocument } = createRequire(import.meta.url)('yaml') as typeof Yaml;
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
  const abs = (p: string) => path.resolve(baseDir, expandHome(p));
  const parsed = configSchema({ abs, sourceDir: checkSource, readableFile: checkReadable, secretFile: checkSecretFile, hostname: os.hostname() }).safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue): ConfigProblem[] =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: fieldName([...issue.path, key]), detail: 'unknown key (check its spelling; see livemirror --help)' }))
        : [{ field: fieldName(issue.path), detail: issue.message }],
    );
    const [first = { field: '', detail: 'invalid configuration' }, ...more] = problems;
    throw new ConfigError(origin, first.field, first.detail, more);
  }
  const c = parsed.data;
  return {
    origin,
    source: c.source,
    replicas: c.replicas.map((r, i): ReplicaSpec => ({
      name: r.name ?? defaultReplicaName(r.target.target, i),
      target: r.target.target,
      targetText: r.target.text,
      passwordFile: r.passwordFile,
      identityFile: r.identityFile,
      knownHostsFile: r.knownHostsFile,
      ...(r.sshPort !== undefined ? { sshPort: r.sshPort } : {}),
      ...(r.remoteRsyncPath !== undefined ? { remoteRsyncPath: r.remoteRsyncPath } : {}),
      ...(r.sshConnectionSharing !== undefined ? { sshConnectionSharing: r.sshConnectionSharing } : {}),
      rsyncOptions: [...c.rsyncOptions, ...r.rsyncOptions],
      renames: r.renames,
      rsyncPath: c.rsyncPath,
    })),
    // A mesh node's own directory is never content (core/mesh-layout.ts).
    excludes: c.mesh ? [...c.excludes, `/${MESH_DIR}/`] : c.excludes,
    initialSync: c.initialSync,
    statusSocket: c.statusSocket === undefined ? defaultStatusSocket() : abs(c.statusSocket),
    logLevel: c.logLevel,
    logFormat: c.logFormat,
    watcher: c.watcher,
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
      localCopyMaxBytes: c.localCopyMaxBytes,
    },
    stopTimeoutMs: c.stopTimeout,
    ...(c.mesh
      ? { mesh: { nodeName: c.nodeName ?? '', protection: c.meshProtection === 'on', tombstoneTtlMs: c.tombstoneTtl, maxDeleteShare: c.maxDeleteShare } }
      : {}),
  };
}


/** `replicas[2].target` from zod's path array. */
export function fieldName(p: readonly PropertyKey[]): string {
  let out = '';
  for (const k of p) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out;
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

function checkSource(p: string): string | { error: string } {
  let st;
  try {
    st = statSync(p);
  } catch {
    return { error: `directory "${p}" does not exist` };
  }
  if (!st.isDirectory()) return { error: `"${p}" is not a directory` };
  try {
    accessSync(p, constants.R_OK | constants.X_OK);
  } catch {
    return { error: `directory "${p}" is not readable` };
  }
  return realpathSync(p);
}

function checkReadable(p: string): string | { error: string } {
  try {
    accessSync(p, constants.R_OK);
  } catch {
    return { error: `file "${p}" does not exist or is not readable` };
  }
  if (!statSync(p).isFile()) return { error: `"${p}" is not a regular file` };
  return p;
}

function checkSecretFile(p: string): string | { error: string } {
  const r = checkReadable(p);
  if (typeof r !== 'string') return r;
  // rsync refuses a password file that others can read; say so now rather than at the first sync.
  if ((statSync(p).mode & 0o006) !== 0) return { error: `file "${p}" is accessible by others; rsync refuses it (chmod 600 "${p}")` };
  return p;
}
