import { posix } from 'node:path';
import { z } from 'zod';
import { parseTarget, type Target } from '../core/target.js';
import { defaults, LOG_FORMATS, LOG_LEVELS, WATCHERS } from './defaults.js';
import { parseDuration } from './duration.js';

/** A mesh node's name (it goes into file names and version vectors). */
export const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export { LOG_FORMATS, LOG_LEVELS } from './defaults.js';

/** A duration field: "250ms", "1.5s", "2m" or a bare number in `unit`. */
const duration = (unit: 'ms' | 's') =>
  z.unknown().transform((v, ctx) => {
    const n = parseDuration(v, unit);
    if (n === undefined) {
      ctx.addIssue({ code: 'custom', message: `expected a duration like "500ms", "1.5s" or "2m", got ${JSON.stringify(v)}` });
      return z.NEVER;
    }
    return n;
  });

const rsyncOption = z
  .string()
  .refine((s) => s.startsWith('-'), { message: 'expected an rsync option starting with "-"' })
  .refine((s) => !/^--(files-from|from0|delete-missing-args|password-file)\b/.test(s), {
    message: 'is set by livemirror itself and cannot be overridden',
  });

/**
 * What validation needs from the file system, so the schema stays pure: each check returns the
 * resolved absolute path, or what is wrong with it.
 */
export interface PathChecks {
  /** Absolute form of a path written in the config (relative to the config file, ~ expanded). */
  abs(p: string): string;
  /** The source directory: exists, is a directory, readable; its real path. */
  sourceDir(abs: string): string | { error: string };
  /** A readable regular file (identityFile, knownHostsFile). */
  readableFile(abs: string): string | { error: string };
  /** A password file rsync accepts (readable, not accessible by others). */
  secretFile(abs: string): string | { error: string };
  /** This machine's name: a mesh node's default name. */
  hostname: string;
}

/** A string field whose value `check` resolves (or rejects with its message). */
const checked = (message: string, check: (s: string) => string | { error: string }) =>
  z.string({ error: message }).min(1, { message }).transform((v, ctx) => {
    const r = check(v);
    if (typeof r === 'string') return r;
    ctx.addIssue({ code: 'custom', message: r.error });
    return z.NEVER;
  });

function replicaSchema(fs: PathChecks) {
  return z
    .object({
      target: z.string({ error: 'expected a replica: /path, host:/path or rsync://host/module' }).min(1).transform((text, ctx) => {
        const t = parseTarget(text);
        if ('error' in t) {
          ctx.addIssue({ code: 'custom', message: t.error });
          return z.NEVER;
        }
        const target: Target = t.kind === 'local' ? { ...t, path: fs.abs(t.path) } : t;
        return { text, target };
      }),
      name: z.string().min(1).optional(),
      passwordFile: checked('expected a file name', (p) => fs.secretFile(fs.abs(p))).optional(),
      identityFile: checked('expected a file name', (p) => fs.readableFile(fs.abs(p))).optional(),
      knownHostsFile: checked('expected a file name', (p) => fs.readableFile(fs.abs(p))).optional(),
      sshPort: z.number().int().min(1).max(65535).optional(),
      remoteRsyncPath: z.string().min(1).optional(),
      sshConnectionSharing: z.boolean().optional(),
      rsyncOptions: z.array(rsyncOption).default([]),
      renames: z.boolean().default(defaults.renames),
    })
    .strict()
    .superRefine((r, ctx) => {
      const kind = r.target.target.kind;
      for (const key of ['sshPort', 'remoteRsyncPath', 'sshConnectionSharing'] as const)
        if (r[key] !== undefined && kind !== 'ssh') ctx.addIssue({ code: 'custom', path: [key], message: 'only ssh replicas (host:/path) take this' });
      if (r.passwordFile !== undefined && kind !== 'daemon')
        ctx.addIssue({ code: 'custom', path: ['passwordFile'], message: 'only rsync:// (rsync daemon) replicas take a password file' });
    });
}

/**
 * The config file's schema. Every problem in a file is reported at once (zod collects the
 * issues of every field; the checks that relate fields run once the fields themselves are valid).
 */
export function configSchema(fs: PathChecks) {
  return z
    .object({
      source: checked('expected the directory to watch, e.g. source: /srv/www', (p) => fs.sourceDir(fs.abs(p))),
      replicas: z.array(replicaSchema(fs), { error: 'expected a list of replicas' }).min(1, { message: 'expected at least one replica' }),
      excludes: z.array(z.string().min(1)).default([]),
      rsyncOptions: z.array(rsyncOption).default([]),
      rsyncPath: z.string().min(1).default(defaults.rsyncPath),
      initialSync: z.boolean().default(defaults.initialSync),
      statusSocket: z.string().min(1).optional(),
      logLevel: z.enum(LOG_LEVELS).default(defaults.logLevel),
      logFormat: z.enum(LOG_FORMATS).default(defaults.logFormat),
      watcher: z.enum(WATCHERS).default(defaults.watcher),
      settle: duration('ms').default(defaults.settleMs),
      stableFor: duration('ms').default(defaults.stableForMs),
      maxHold: duration('ms').default(defaults.maxHoldMs),
      treeHold: duration('ms').default(defaults.treeHoldMs),
      retryInitial: duration('ms').default(defaults.retryInitialMs),
      retryMax: duration('ms').default(defaults.retryMaxMs),
      resyncAfter: duration('ms').default(defaults.resyncAfterMs),
      queueCap: z.number().int().positive().default(defaults.queueCap),
      batchTimeout: duration('ms').default(defaults.batchTimeoutMs),
      ioTimeout: duration('s').default(defaults.ioTimeoutS),
      connectTimeout: duration('s').default(defaults.connectTimeoutS),
      killGrace: duration('ms').default(defaults.killGraceMs),
      localCopyMaxBytes: z.number().int().min(0).default(defaults.localCopyMaxBytes),
      stopTimeout: duration('ms').default(defaults.stopTimeoutMs),
      mesh: z.boolean().default(false),
      nodeName: z.string().optional(),
      meshProtection: z.enum(['on', 'off']).default('on'),
      tombstoneTtl: duration('ms').default(defaults.mesh.tombstoneTtlMs),
      maxDeleteShare: z.number().min(0).max(1).default(defaults.mesh.maxDeleteShare),
    })
    .strict()
    .transform((c, ctx) => {
      if (!c.mesh) {
        for (const key of ['nodeName', 'meshProtection'] as const)
          if (key in c && c[key] !== undefined && !(key === 'meshProtection' && c[key] === 'on'))
            ctx.addIssue({ code: 'custom', path: [key], message: 'only a mesh node takes this (mesh: true / --mesh)' });
        return c;
      }
      const nodeName = c.nodeName ?? fs.hostname.split('.')[0] ?? '';
      if (!NODE_NAME.test(nodeName))
        ctx.addIssue({
          code: 'custom',
          path: ['nodeName'],
          message: `${c.nodeName === undefined ? `the hostname "${fs.hostname}" is no usable node name` : `"${nodeName}" is no usable node name`}: give 1-63 letters, digits, '.', '_' or '-', starting with a letter or digit (it goes into conflict copies' names)`,
        });
      return { ...c, nodeName };
    })
    .superRefine((c, ctx) => {
      const names = new Set<string>();
      c.replicas.forEach((r, i) => {
        const t = r.target.target;
        if (t.kind === 'local' && isInside(t.path, c.source))
          ctx.addIssue({ code: 'custom', path: ['replicas', i, 'target'], message: `a local replica must not lie inside the source ("${c.source}"): it would replicate itself` });
        const name = r.name ?? defaultReplicaName(t, i);
        if (names.has(name)) ctx.addIssue({ code: 'custom', path: ['replicas', i, 'name'], message: `"${name}" is used by another replica; names must be unique` });
        names.add(name);
      });
    });
}

/** The config file as validated (durations in ms unless named `…S`; paths absolute; targets parsed). */
export type RawConfig = z.output<ReturnType<typeof configSchema>>;

/** The name a replica gets when it has none: the host, or the local directory's name. */
export function defaultReplicaName(t: Target, i: number): string {
  if (t.kind === 'local') return posix.basename(t.path) || `replica${i}`;
  return t.host;
}

/** True when absolute path `p` is `dir` or lies below it. */
function isInside(p: string, dir: string): boolean {
  const rel = posix.relative(dir, p);
  return rel === '' || (!rel.startsWith('..') && !posix.isAbsolute(rel));
}
