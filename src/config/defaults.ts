/**
 * Every tunable of the daemon, in one place: its value, its unit (in the name) and why.
 * The config file may override each (see README "Configuration"); nothing else hard-codes these.
 */
export const defaults = {
  /** ms a path must be quiet before it leaves. Short, because an idle replica should get a
   *  change at once; long enough to fold create+write+close of one file into one event. */
  settleMs: 30,
  /** ms a file that is still being written must stay unchanged before it is sent. The classic
   *  FreeBSD upload script waited 1.5 s for a file to stop growing; we keep its value, but apply
   *  it only to files that are still open (inotify tells) or keep changing. */
  stableForMs: 1500,
  /** ms after which a file that never stops changing (a log) is sent anyway. */
  maxHoldMs: 60_000,
  /** ms after which a new directory that is still being filled (cp -r, tar x, an upload
   *  session) leaves anyway, once no file below it is open: its later content follows as
   *  changes of their own, so replicas see a big copy arrive while it runs, not after. */
  treeHoldMs: 500,
  /** ms of the first retry after a failed rsync; doubles per attempt with ±25 % jitter. */
  retryInitialMs: 1000,
  /** ms cap of the retry delay: a replica that comes back is noticed within this. */
  retryMaxMs: 10_000,
  /** ms of outage after which a replica gets one full resync instead of its queue replayed:
   *  after a long outage the replica's own state is less certain than the source's. */
  resyncAfterMs: 60_000,
  /** Queued paths per replica past which the queue collapses into one full resync: bounds
   *  memory, and one tree walk beats a huge file list. */
  queueCap: 100_000,
  /** ms a batch rsync may run before it is killed as hung (full resyncs are bounded by the
   *  I/O timeout instead, since a big tree legitimately takes long). */
  batchTimeoutMs: 10 * 60_000,
  /** s of no I/O after which rsync gives up itself (rsync --timeout). */
  ioTimeoutS: 60,
  /** s to wait for a connection to a replica (ssh ConnectTimeout, rsync --contimeout). */
  connectTimeoutS: 10,
  /** ms between SIGTERM and SIGKILL for an rsync being stopped. */
  killGraceMs: 3000,
  /** Local replicas: a written file up to this many bytes is copied in-process (temporary
   *  name, mode, owner, mtime to the ns, rename: what rsync -a does) instead of by an rsync
   *  process, whose start alone costs ~60 ms here. rsync keeps trees, deletes, bigger files
   *  and every replica with rsyncOptions. 0 turns it off. */
  localCopyMaxBytes: 1024 * 1024,
  /** ms that SIGTERM/SIGINT waits for in-flight rsyncs before cutting them. */
  stopTimeoutMs: 10_000,
  /** Initial full sync on start, like the classic INIT_MIRROR=1. */
  initialSync: true,
  /** rsync binary used locally. */
  rsyncPath: 'rsync',
  /** Replay renames as renames (local rename, sftp rename over ssh) before syncing. */
  renames: true,
  /** ssh replicas: run every rsync's ssh over one kept connection (an OpenSSH master the daemon
   *  owns) instead of a fresh login per batch, which costs a key exchange and authentication
   *  (~0.4 s on loopback here, a round trip or more per step on a real network). */
  sshConnectionSharing: true,
  /** Log level: info logs one line per batch per replica, enough to follow replication. */
  logLevel: 'info',
  /** Log format: auto is readable lines on a TTY and JSON otherwise (systemd, files, pipes). */
  logFormat: 'auto',
  /** Change source (watch/select.ts): auto takes fanotify on Linux as root where the
   *  filesystem allows, else inotify; bsm-audit on FreeBSD; else poll. */
  watcher: 'auto',

  // Internal tunables: not in the config file; here so that every number has its reason.

  /** ms between progress lines of a long full sync: enough to see it move, not a flood. */
  progressEveryMs: 10_000,
  /** ms during which renames over sftp are not tried again after a failed ssh connect: each try
   *  could cost a whole connect timeout per batch (e.g. a host only ssh's own config can reach),
   *  and rsync delivers the batch without them anyway. */
  sshReconnectPauseMs: 60_000,
  /** ms between ssh keepalives on the daemon's own ssh connections (sftp); 3 missed drop it. */
  sshKeepaliveMs: 15_000,
  /** The ssh master of connection sharing (replicate/ssh/master.ts). */
  sshMaster: {
    /** s between keepalives inside the master's connection (ssh ServerAliveInterval): they
     *  keep NAT and firewall state alive, and find a dead link. */
    serverAliveIntervalS: 10,
    /** Unanswered keepalives after which the master exits (ServerAliveCountMax): a dead link is
     *  noticed within 30 s; the batches queued behind it then fail once and retry directly. */
    serverAliveCountMax: 3,
    /** ms before the first restart of a master that exited; doubles per failed attempt with
     *  ±25 % jitter (replicate/backoff.ts). Batches meanwhile connect directly. */
    restartInitialMs: 1000,
    /** ms cap of the restart delay: an unreachable host costs one connect attempt a minute;
     *  a master that lived this long counts as healthy and restarts at restartInitialMs. */
    restartMaxMs: 60_000,
  },
  /** Runs in a row whose only complaint was the source changing under rsync at the same paths,
   *  re-run at once; past this the replica backs off as after any failure (a writer that never
   *  lets go of those files). Races at new paths are progress and never count. */
  sourceRaceRetries: 5,
  /** Multi-master mesh (mesh/): the defaults of its config fields, and its internal numbers. */
  mesh: {
    /** ms a tombstone (the record of a deletion) is kept: a peer that was away longer than
     *  this may bring a deleted file back. 30 days covers any outage worth waiting for. */
    tombstoneTtlMs: 30 * 24 * 3_600_000,
    /** The safety valve: a run that would delete more than this share of a peer's tree halts
     *  that peer (an emptied or unmounted source must not wipe the cluster). */
    maxDeleteShare: 0.5,
    /** ... but only when it deletes at least this many paths (small trees change by halves). */
    valveFloor: 50,
    /** ... counted over this many ms of this node's own deletions, less the paths it made
     *  meanwhile (settled in one batch or many; a renamed directory is no loss). */
    valveWindowMs: 60_000,
    /** The loop detector: bounces of one path within windowMs past threshold damp that path
     *  (held before it is sent, doubling per bounce up to maxHoldMs). */
    loop: { windowMs: 60_000, threshold: 5, maxHoldMs: 60_000 },
    /** ms during which one node name seen with two ids means two live nodes share the name. */
    sameNameWindowMs: 10 * 60_000,
    /** ms between re-reads of a remote peer's node.json (its name) before a batch; a local
     *  peer's is re-read before every batch, and every full sync reads it. */
    identityRecheckMs: 60_000,
    /** ms between sweeps of expired tombstones and abandoned staged data. */
    sweepEveryMs: 3_600_000,
    /** ms after which staged data whose manifest never came (a sender that died) is removed. */
    orphanStageMs: 3_600_000,
    /** ms the path and tombstone counts in status may be old (counting walks the database). */
    countsEveryMs: 10_000,
  },
  /** Files whose writer's close the source cannot see (linux-audit, bsm-audit, poll): the
   *  stable gate (watch/stable-gate.ts) looks at their size and times instead. */
  stableGate: {
    /** ms a file must stay unchanged before it leaves: an upload's writes come far closer
     *  together than this; one small file costs this much latency on those sources. */
    quietMs: 300,
    /** ms between lstat calls on the held files. */
    checkEveryMs: 100,
  },
  /** The inotify source (watch/inotify.ts). */
  inotify: {
    /** ms the worker-pool poll(2) blocks before looping anyway; -1: until an event comes or
     *  close() wakes it (its eventfd), so an idle daemon has no wakeups that nothing caused. */
    pollIntervalMs: -1,
    /** ms an IN_MOVED_FROM waits for its IN_MOVED_TO in a following read before it counts as
     *  moved out: the kernel queues both halves of one rename together, so a few ms suffice. */
    movePairMs: 10,
    /** directories listed per turn of the event loop while walking (watch/dir-walk.ts): ~256 ×
     *  ~30 µs keeps one turn under ~10 ms, so events and the status socket still get their turn. */
    walkSliceDirs: 256,
    /** bytes per read(2); 64 KiB holds 4096 name-less records. */
    readBufferBytes: 64 * 1024,
    /** bytes read per batch at most, so one flood does not become one huge batch. */
    maxBatchBytes: 1024 * 1024,
    /** batches queued for a slow reader before reading stops (the kernel queue then absorbs, then overflows). */
    maxQueuedBatches: 64,
  },
  /** The fanotify source (watch/fanotify.ts). */
  fanotify: {
    /** As inotify's: -1 blocks until an event comes or close() wakes the poll. */
    pollIntervalMs: -1,
    /** bytes per read(2); an event with its directory handle and name is ~60-300 bytes. */
    readBufferBytes: 64 * 1024,
    /** bytes read per batch at most. */
    maxBatchBytes: 1024 * 1024,
    /** batches queued for a slow reader before reading stops (the kernel queue then absorbs, then overflows). */
    maxQueuedBatches: 64,
    /** directory handle → path entries kept (~200 bytes each): a directory's path costs
     *  open_by_handle_at + readlink once, then a map lookup per event. */
    handleCacheEntries: 65_536,
  },
  /** The poll source (watch/poll.ts): the fallback where no change notification exists (NFS,
   *  some FUSE). Its cost and latency as measured: docs/watchers/poll.md. */
  poll: {
    /** ms from the start of one pass over the tree to the start of the next (a pass that takes
     *  longer is followed at once, never overlapped). A change reaches the pipeline within one
     *  interval plus one pass; each pass costs one lstat per entry (~0.18 s of CPU per 10,000
     *  entries here), so 1 s keeps latency near the classic scripts' at a fifth of a core for
     *  10,000 entries. At 100,000 a pass takes ~1.5 s and passes run back to back (one core):
     *  raise it there. */
    intervalMs: 1000,
    /** entries lstat'ed per turn of the event loop (then one goes through the worker pool):
     *  ~1000 × ~3-10 µs keeps a turn under ~10 ms, so the pipeline and the status socket keep
     *  their turn during a long pass. */
    sliceEntries: 1000,
    /** events per batch at most, so a pass that found a huge change is not one huge batch. */
    maxBatchEvents: 4096,
    /** batches queued for a slow reader before a pass waits for it (the next pass then waits
     *  too: the tree, not memory, holds the backlog). */
    maxQueuedBatches: 64,
  },
  /** The FreeBSD audit source (watch/bsm-audit.ts). */
  bsmAudit: {
    /** ms the worker-pool poll(2) on /dev/auditpipe blocks before looping anyway, to read the
     *  pipe's drop counter even when nothing arrives (drops of a full queue become a rescan). */
    pollIntervalMs: 1000,
    /** bytes per read(2): more than the largest record the kernel writes (MAXAUDITDATA, 32 KiB),
     *  so a read always returns at least one whole record. */
    readBufferBytes: 256 * 1024,
    /** bytes read per batch at most, so one flood does not become one huge batch. */
    maxBatchBytes: 1024 * 1024,
    /** batches queued for a slow reader before reading stops (auditpipe's queue then absorbs,
     *  then drops, which the drop counter reports). */
    maxQueuedBatches: 64,
    /** files open for writing remembered for their close (bsm-translate.ts): a process that
     *  exits without close(2) leaves its entry, so the oldest go beyond this. */
    maxOpenFiles: 65_536,
  },
  /** The linux-audit source (watch/linux-audit.ts, docs/watchers/linux-audit.md). */
  linuxAudit: {
    /** ms a record group without EOE waits for more records: every syscall event ends with an
     *  EOE, so this only bounds single-record events and a group whose EOE was lost. */
    eventTimeoutMs: 200,
    /** ms a skipped serial may still arrive (records of syscalls on other CPUs interleave by a
     *  few) before it counts as lost and becomes an overflow. */
    gapWaitMs: 500,
    /** serials tracked as missing at most; a bigger gap is reported at once. */
    maxPendingGaps: 4096,
    /** records the kernel queues before it drops (audit backlog_limit): raised to this while
     *  the source runs when lower (the boot default is 64, one `cp -r` burst), restored on close. */
    backlogLimit: 8192,
    /** bytes of the multicast socket's receive buffer (SO_RCVBUFFORCE): ~20,000 records of
     *  ~400 bytes, so a slow turn of the event loop does not end in ENOBUFS (= a root rescan). */
    receiveBufferBytes: 8 * 1024 * 1024,
    /** ms within which losses after an overflow are folded into one more overflow: in a flood
     *  records go missing all the time (300 overflows in 3 s here), and each one costs the
     *  consumer a walk of the root; a rescan every quarter second keeps up without that. */
    overflowCoalesceMs: 250,
    /** ms between AUDIT_GET reads of the kernel's `lost` counter (losses that leave no serial gap). */
    lostCheckMs: 1000,
    /** ms an AUDIT_GET/SET or rule request may take before start() or close() gives up. */
    requestTimeoutMs: 2000,
    /** ms start() waits for its own probe message on the multicast group: it comes back within a
     *  millisecond where the group works; outside the initial network namespace it never does. */
    probeTimeoutMs: 1000,
    /** 1: put a single `ignoreWriters.exes` entry into the kernel rule as `exe!=` (the kernel takes
     *  one exe field per rule), so those writes cost no record at all; 0: filter them here only. */
    kernelExeFilter: 1,
    /** bytes per recv(2): the largest audit record (AUDIT_MESSAGE_TEXT_MAX 8560) and its header fit. */
    readBufferBytes: 16 * 1024,
    /** records read per batch at most, so one flood does not become one huge batch. */
    maxBatchRecords: 4096,
    /** batches queued for a slow reader before reading stops (the socket buffer then absorbs, then ENOBUFS). */
    maxQueuedBatches: 64,
    /** directories listed per turn of the event loop while indexing the tree (see inotify.walkSliceDirs). */
    walkSliceDirs: 256,
  },
} as const;

export type Defaults = typeof defaults;

/** The log levels and formats the config and the CLI accept. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;
export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
/** The change sources `--watcher` / `watcher:` accept (watch/select.ts). */
export const WATCHERS = ['auto', 'inotify', 'fanotify', 'linux-audit', 'bsm-audit', 'poll'] as const;
export type WatcherName = (typeof WATCHERS)[number];
