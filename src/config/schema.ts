import { z } from 'zod';
import { defaults } from './defaults.js';
import { parseDuration } from './duration.js';

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

export const replicaSchema = z
  .object({
    target: z.string({ error: 'expected a replica: /path, host:/path or rsync://host/module' }).min(1),
    name: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
    identityFile: z.string().min(1).optional(),
    knownHostsFile: z.string().min(1).optional(),
    sshPort: z.number().int().min(1).max(65535).optional(),
    remoteRsyncPath: z.string().min(1).optional(),
    rsyncOptions: z.array(rsyncOption).default([]),
    renames: z.boolean().default(defaults.renames),
  })
  .strict();

export const configSchema = z
  .object({
    source: z.string({ error: 'expected the directory to watch, e.g. source: /srv/www' }).min(1),
    replicas: z.array(replicaSchema, { error: 'expected a list of replicas' }).min(1, { message: 'expected at least one replica' }),
    excludes: z.array(z.string().min(1)).default([]),
    rsyncOptions: z.array(rsyncOption).default([]),
    rsyncPath: z.string().min(1).default(defaults.rsyncPath),
    initialSync: z.boolean().default(defaults.initialSync),
    statusSocket: z.string().min(1).optional(),
    logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
    logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
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
    stopTimeout: duration('ms').default(defaults.stopTimeoutMs),
  })
  .strict();

/** The config file as validated (durations in ms unless named `…S`). */
export type RawConfig = z.output<typeof configSchema>;
