import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { Config } from '../config/load.js';
import { ConfigError, defaultStatusSocket } from '../config/errors.js';
import { defaults, LOG_FORMATS, LOG_LEVELS, WATCHERS, type WatcherName } from '../config/defaults.js';
import { formatDuration } from '../config/duration.js';
import { parseTarget } from '../core/target.js';
import { defaultIo, EXIT, type Io } from './io.js';

// The config schema (zod, YAML), the logger and the daemon are loaded by the commands that use
// them: `livemirror status` must not pay for them (0.45 s → 0.16 s here).
const configLoader = () => import('../config/load.js');
const statusClient = () => import('../observe/status.js');
const statusShow = () => import('./status-command.js');

export { EXIT, type Io } from './io.js';

const examples = `
Replica forms:
  /srv/mirror                              a local directory
  [user@]host:/srv/www                     rsync over ssh (renames replayed with sftp)
  ssh://[user@]host[:port]/srv/www         the same, with an ssh port
  rsync://[user@]host[:port]/module[/dir]  an rsync daemon module (--password-file); also host::module

Examples:
  livemirror run /srv/www web2:/srv/www                     master → standby over ssh
  livemirror run /srv/upload rsync://sync@web1/www rsync://sync@web2/www --password-file /etc/livemirror.pass
  livemirror run --config /etc/livemirror.yaml              everything else (see README "Configuration")
  livemirror check --config /etc/livemirror.yaml            validate and probe, change nothing
  livemirror status                                          per replica: state, queue, lag, errors
  livemirror status --json                                   the same for scripts

Signals: SIGTERM/SIGINT stop gracefully (in-flight rsyncs get stopTimeout to finish),
SIGHUP reloads the config file. Exit codes: 0 ok, 1 failure, 2 bad usage or config.`;

interface RunFlags {
  config?: string;
  initialSync: boolean;
  exclude: string[];
  rsyncOption: string[];
  passwordFile?: string;
  identityFile?: string;
  knownHostsFile?: string;
  statusSocket?: string;
  logFormat?: string;
  logLevel?: string;
  settle?: string;
  stableFor?: string;
  mesh?: boolean;
  nodeName?: string;
  meshProtection?: string;
  watcher?: string;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Parses argv and runs the command; resolves with the process exit code. */
export async function runCli(argv: string[], io: Io = defaultIo): Promise<number> {
  let code: number = EXIT.ok;
  const program = new Command('livemirror')
    .description('Keep a directory tree identical on several hosts within about a second of every change, driven by kernel change notifications (inotify) and rsync.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run livemirror --help for usage)')
    .addHelpText('after', examples);

  program
    .command('run')
    .summary('watch SOURCE and replicate every change to every REPLICA (foreground)')
    .description(
      'Watch SOURCE and replicate every change to each REPLICA, in the foreground (for systemd, runit,\n' +
        'daemontools). Either the quick form SOURCE REPLICA... or --config FILE. On start, one full rsync\n' +
        'to every replica (the initial sync) unless --no-initial-sync; then changes go out as they settle.',
    )
    .argument('[source]', 'directory to watch (quick form)')
    .argument('[replicas...]', 'where to replicate: /path, [user@]host:/path or rsync://[user@]host[:port]/module[/path]')
    .option('-c, --config <file>', 'YAML config file (see README "Configuration"); replaces SOURCE REPLICA...')
    .option('--no-initial-sync', 'skip the full rsync at start (only changes from now on are sent)')
    .option('-x, --exclude <pattern>', 'rsync-style exclude pattern, repeatable; excluded directories are not watched', collect, [])
    .option('--rsync-option <option>', 'extra rsync option for every replica, repeatable (e.g. --rsync-option=--compress)', collect, [])
    .option('--password-file <file>', 'rsync daemon password file for rsync:// replicas (mode 600)')
    .option('--identity-file <file>', 'ssh private key for host:/path replicas')
    .option('--known-hosts-file <file>', 'known_hosts for host:/path replicas (default ~/.ssh/known_hosts)')
    .option('--status-socket <path>', `where "livemirror status" reaches this daemon (default ${defaultStatusSocket()})`)
    .option('--settle <duration>', `quiet time before a change is sent (default ${formatDuration(defaults.settleMs)})`)
    .option('--stable-for <duration>', `how long a file still being written must be unchanged (default ${formatDuration(defaults.stableForMs)})`)
    .option('--mesh', 'multi-master: every REPLICA is a peer running livemirror --mesh on the same tree; changes go both ways')
    .option('--node-name <name>', 'this node\'s name in the mesh (default: the hostname); unique among the peers')
    .addOption(new Option('--mesh-protection <on|off>', 'off reproduces the sync loops of a naive mesh (no versions, no echo suppression); for testing').choices(['on', 'off']))
    .addOption(watcherOption())
    .addOption(new Option('--log-format <format>', `log format (default ${defaults.logFormat}: readable on a TTY, JSON otherwise)`).choices(LOG_FORMATS))
    .addOption(new Option('--log-level <level>', `log level (default ${defaults.logLevel})`).choices(LOG_LEVELS))
    .action(async (source: string | undefined, replicas: string[], flags: RunFlags) => {
      code = await runCommand(source, replicas, flags, io);
    });

  program
    .command('check')
    .summary('validate the config and probe each replica, changing nothing')
    .description('Validate the config and probe each replica: reachable, rsync present, writable (by creating\nand removing a hidden .livemirror-check-* file). Exit 0 when all pass, 1 when a probe fails, 2 for a bad config.')
    .argument('[source]', 'directory to watch (quick form)')
    .argument('[replicas...]', 'replicas, as for run')
    .option('-c, --config <file>', 'YAML config file')
    .option('--password-file <file>', 'rsync daemon password file for rsync:// replicas')
    .option('--identity-file <file>', 'ssh private key for host:/path replicas')
    .option('--known-hosts-file <file>', 'known_hosts for host:/path replicas')
    .action(async (source: string | undefined, replicas: string[], flags: RunFlags) => {
      code = await checkCommand(source, replicas, { ...flags, exclude: [], rsyncOption: [], initialSync: true }, io);
    });

  program
    .command('events')
    .summary('print the changes a source reports under SOURCE, one JSON line each (to see what the daemon sees)')
    .description(
      'Start a change source on SOURCE and print every event it reports, normalized as the daemon sees\n' +
        'it: kind, path (relative to SOURCE), isDir, and where the source knows them pid, uid and exe.\n' +
        'Runs until SIGINT/SIGTERM. Which source runs, and why, goes to stderr first.',
    )
    .argument('<source>', 'directory to watch (with --replay: the tree\'s path as a string; it need not exist here)')
    .addOption(watcherOption())
    .option('-x, --exclude <pattern>', 'rsync-style exclude pattern, repeatable', collect, [])
    .option('--replay <file>', 'with --watcher bsm-audit: print what the source would report from a saved BSM trail (auditd\'s /var/audit/*), then exit')
    .option('-n, --count <n>', 'exit after N events', (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a whole number >= 1');
      return n;
    })
    .action(async (source: string, flags: { watcher?: string; exclude: string[]; count?: number; replay?: string }) => {
      const { eventsCommand } = await import('./events-command.js');
      code = await eventsCommand(
        source,
        { watcher: (flags.watcher ?? defaults.watcher) as WatcherName, exclude: flags.exclude, ...(flags.count ? { count: flags.count } : {}), ...(flags.replay !== undefined ? { replay: flags.replay } : {}) },
        io,
      );
    });

  program
    .command('bsm')
    .summary('decode FreeBSD audit trails (BSM) into one JSON line per record, like praudit -l')
    .description(
      'Decode BSM audit trails (auditd\'s /var/audit/*, or bytes saved from /dev/auditpipe) and print one\n' +
        'JSON line per record: event number and name, time, subject (auid, euid, egid, ruid, rgid, pid, sid),\n' +
        'paths, attributes, arguments, return (error, value) and texts. Decoding errors go to stderr with\n' +
        'the file and byte offset; exit 1 if there was any. See docs/watchers/bsm-audit.md.',
    )
    .argument('<files...>', 'trail files')
    .action(async (files: string[]) => {
      const { bsmCommand } = await import('./bsm-command.js');
      code = bsmCommand(files, io);
    });

  program
    .command('release')
    .summary('let mesh peers halted by the safety valve (much of the tree deleted at once) go on')
    .description(
      'A mesh node halts its peers when it has lost more than maxDeleteShare of its tree within a ' +
        'minute (paths deleted and not made again: an emptied or unmounted source). Once you have checked that the deletions are meant, ' +
        'this lets the named peers (all when none are named) go on. A reload (SIGHUP) does the same.',
    )
    .argument('[replicas...]', 'replica names, as status shows them')
    .option('-c, --config <file>', "find the daemon through this config file's statusSocket")
    .option('--socket <path>', `the daemon's status socket (default ${defaultStatusSocket()})`)
    .action(async (names: string[], flags: { config?: string; socket?: string }) => {
      code = await releaseCommand(names, flags, io);
    });

  program
    .command('status')
    .summary("show each replica's state, queued paths, lag, last success and last error")
    .description('Ask the running daemon for its status: per replica the state (idle, syncing, backoff, resync,\nhalted), queued paths, lag (age of the oldest unsent change), last success and last error.')
    .option('-c, --config <file>', 'find the daemon through this config file\'s statusSocket')
    .option('--socket <path>', `the daemon's status socket (default ${defaultStatusSocket()})`)
    .option('--json', 'print JSON for scripts')
    .action(async (flags: { config?: string; socket?: string; json?: boolean }) => {
      code = await statusCommand(flags, io);
    });

  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    throw e;
  }
  return code;
}

function watcherOption(): Option {
  return new Option(
    '--watcher <name>',
    `change source (default ${defaults.watcher}: fanotify on Linux as root, else inotify; bsm-audit on FreeBSD; else poll; linux-audit and poll on request; see README "Change sources")`,
  ).choices(WATCHERS);
}

/** Builds the Config from --config or the quick form; ConfigError on anything wrong. */
async function configFor(source: string | undefined, replicas: string[], f: RunFlags): Promise<Config> {
  const { configFromArgs, loadConfigFile } = await configLoader();
  if (f.config !== undefined) {
    if (source !== undefined) throw new ConfigError('command line', '', 'give either --config FILE or SOURCE REPLICA..., not both');
    return loadConfigFile(f.config);
  }
  if (source === undefined || replicas.length === 0)
    throw new ConfigError('command line', '', 'nothing to do: give SOURCE and at least one REPLICA, or --config FILE (see livemirror run --help)');
  const extra: Record<string, unknown> = { initialSync: f.initialSync, excludes: f.exclude, rsyncOptions: f.rsyncOption };
  for (const [k, v] of Object.entries({ statusSocket: f.statusSocket, logFormat: f.logFormat, logLevel: f.logLevel, settle: f.settle, stableFor: f.stableFor, mesh: f.mesh, nodeName: f.nodeName, meshProtection: f.meshProtection, watcher: f.watcher }))
    if (v !== undefined) extra[k] = v;
  // Credentials given once on the command line go to the replicas of their kind.
  const replicaObjects = replicas.map((target) => {
    const t = parseTarget(target);
    const kind = 'error' in t ? undefined : t.kind;
    return {
      target,
      ...(kind === 'daemon' && f.passwordFile !== undefined ? { passwordFile: f.passwordFile } : {}),
      ...(kind === 'ssh' && f.identityFile !== undefined ? { identityFile: f.identityFile } : {}),
      ...(kind === 'ssh' && f.knownHostsFile !== undefined ? { knownHostsFile: f.knownHostsFile } : {}),
    };
  });
  return configFromArgs(source, replicaObjects, extra);
}

async function withConfig<T>(io: Io, fn: () => T | Promise<T>): Promise<T | number> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const line of e.message.split('\n')) io.err(`livemirror: ${line}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}

async function runCommand(source: string | undefined, replicas: string[], flags: RunFlags, io: Io): Promise<number> {
  const cfg = await withConfig(io, () => configFor(source, replicas, flags));
  if (typeof cfg === 'number') return cfg;
  const config: Config = {
    ...cfg,
    ...(flags.config !== undefined && !flags.initialSync ? { initialSync: false } : {}),
    ...(flags.config !== undefined && flags.statusSocket ? { statusSocket: flags.statusSocket } : {}),
    ...(flags.config !== undefined && flags.watcher ? { watcher: flags.watcher as WatcherName } : {}),
  };
  const { createLogger } = await import('../observe/log.js');
  const { loadConfigFile } = await configLoader();
  const log = createLogger({ level: (flags.logLevel as Config['logLevel']) ?? config.logLevel, format: (flags.logFormat as Config['logFormat']) ?? config.logFormat });
  // Loaded here, not at the top: `livemirror status` must not pay for the whole daemon.
  const { Daemon } = await import('../daemon.js');
  const daemon = new Daemon(config, { log });

  let stopping: Promise<void> | undefined;
  let done!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  const stop = (why: string, exitCode: number) => {
    if (stopping) {
      log.warn({ event: 'forced-exit' }, `second ${why}: exiting now`);
      process.exit(EXIT.failure);
    }
    log.info({ event: 'stopping', why }, `stopping (${why})`);
    stopping = daemon.stop().then(() => done(exitCode));
  };
  const onTerm = () => stop('SIGTERM', EXIT.ok);
  const onInt = () => stop('SIGINT', EXIT.ok);
  const onHup = () => {
    if (flags.config === undefined) {
      log.warn({ event: 'reload-skipped' }, 'SIGHUP: started without --config, nothing to reload');
      return;
    }
    try {
      void daemon.reload({ ...loadConfigFile(flags.config), ...(!flags.initialSync ? { initialSync: false } : {}) });
    } catch (e) {
      log.error({ event: 'reload-failed', err: (e as Error).message }, `reload refused, keeping the running config: ${(e as Error).message}`);
    }
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  process.on('SIGHUP', onHup);
  void daemon.failed.then((e) => stop(`watch failure: ${e.message}`, EXIT.failure));
  try {
    await daemon.start();
  } catch (e) {
    log.error({ event: 'start-failed', err: (e as Error).message }, (e as Error).message);
    io.err(`livemirror: ${(e as Error).message}\n`);
    await daemon.stop().catch(() => {});
    return EXIT.failure;
  }
  const code = await finished;
  process.off('SIGTERM', onTerm);
  process.off('SIGINT', onInt);
  process.off('SIGHUP', onHup);
  return code;
}

async function checkCommand(source: string | undefined, replicas: string[], flags: RunFlags, io: Io): Promise<number> {
  const config = await withConfig(io, () => configFor(source, replicas, flags));
  if (typeof config === 'number') return config;
  io.out(`config ${config.origin}: valid; source ${config.source}\n`);
  const { probeReplica } = await import('../replicate/probe.js');
  const results = await Promise.all(config.replicas.map((spec) => probeReplica(spec, { root: config.source, tunables: config.tunables })));
  let ok = true;
  config.replicas.forEach((spec, i) => {
    const r = results[i];
    if (!r) return;
    ok &&= r.ok;
    io.out(`${r.ok ? 'ok  ' : 'FAIL'} ${spec.name} (${spec.targetText})\n`);
    for (const c of r.checks) io.out(`       ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''}\n`);
  });
  return ok ? EXIT.ok : EXIT.failure;
}

async function statusCommand(flags: { config?: string; socket?: string; json?: boolean }, io: Io): Promise<number> {
  const socket = await withConfig(io, () => socketFor(flags));
  if (typeof socket === 'number') return socket;
  return (await statusShow()).showStatus({ socket, json: flags.json === true }, io);
}

async function releaseCommand(names: string[], flags: { config?: string; socket?: string }, io: Io): Promise<number> {
  const socket = await withConfig(io, () => socketFor(flags));
  if (typeof socket === 'number') return socket;
  try {
    const { requestRelease } = await statusClient();
    const released = await requestRelease(socket, names);
    io.out(released.length ? `released: ${released.join(', ')}\n` : `no replica named ${names.join(', ')}\n`);
    return released.length ? EXIT.ok : EXIT.failure;
  } catch (e) {
    io.err(`livemirror: ${(e as Error).message}\n`);
    return EXIT.failure;
  }
}

/** The daemon's status socket: --socket, else the config file's, else the default. */
async function socketFor(flags: { config?: string; socket?: string }): Promise<string> {
  if (flags.socket !== undefined) return flags.socket;
  if (flags.config === undefined) return defaultStatusSocket();
  return (await configLoader()).loadConfigFile(flags.config).statusSocket;
}
