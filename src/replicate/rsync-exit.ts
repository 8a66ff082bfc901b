import type { Verdict } from './types.js';

export interface ExitClass {
  verdict: Verdict;
  reason: string;
}

/**
 * Every rsync exit code (man rsync, "EXIT VALUES") and what a replica does about it:
 *  - ok:    the batch counts as done;
 *  - retry: the batch's changes go back to the queue and run again after a backoff;
 *  - fatal: retrying cannot help until a person acts; the replica halts with the reason.
 * 255 is not rsync's own: it is what the remote shell (ssh) returned.
 */
export const RSYNC_EXIT: Readonly<Record<number, ExitClass>> = {
  0: { verdict: 'ok', reason: 'success' },
  1: { verdict: 'fatal', reason: 'syntax or usage error (an option in rsyncOptions, or the remote rsync, rejects the command)' },
  2: { verdict: 'fatal', reason: 'protocol incompatibility between the local and the remote rsync' },
  3: { verdict: 'retry', reason: 'errors selecting input/output files or dirs (destination missing or not accessible?)' },
  4: { verdict: 'fatal', reason: 'requested action not supported (an option the remote rsync lacks, e.g. --secluded-args on rsync < 3.0)' },
  5: { verdict: 'fatal', reason: 'error starting the client-server protocol (daemon refused: wrong password, unknown module, host not allowed)' },
  6: { verdict: 'retry', reason: 'the daemon cannot append to its log file' },
  10: { verdict: 'retry', reason: 'error in socket I/O (replica unreachable?)' },
  11: { verdict: 'retry', reason: 'error in file I/O (replica disk full or read-only?)' },
  12: { verdict: 'retry', reason: 'error in the rsync protocol data stream (connection lost?)' },
  13: { verdict: 'retry', reason: 'errors with program diagnostics' },
  14: { verdict: 'retry', reason: 'error in IPC code' },
  20: { verdict: 'retry', reason: 'rsync received SIGUSR1 or SIGINT' },
  21: { verdict: 'retry', reason: 'some error returned by waitpid()' },
  22: { verdict: 'retry', reason: 'error allocating core memory buffers' },
  23: { verdict: 'retry', reason: 'partial transfer due to error (some files were not sent)' },
  24: { verdict: 'ok', reason: 'some source files vanished before they were sent (the event for their removal follows)' },
  25: { verdict: 'fatal', reason: 'the --max-delete limit stopped deletions (a safety limit from rsyncOptions: check the source)' },
  30: { verdict: 'retry', reason: 'timeout in data send/receive (--timeout)' },
  35: { verdict: 'retry', reason: 'timeout waiting for the daemon connection (--contimeout)' },
  255: { verdict: 'retry', reason: 'the remote shell (ssh) failed: connection refused or lost' },
};

/**
 * Exit codes whose meaning depends on what rsync or ssh printed: the code alone would retry an
 * error that never heals (or halt on one that does). First matching rule wins.
 */
export const STDERR_RULES: readonly { codes: readonly number[]; pattern: RegExp; verdict: Verdict; reason: string }[] = [
  { codes: [5], pattern: /max connections \(\d+\) reached|try again later/i, verdict: 'retry', reason: 'the daemon is at its connection limit' },
  // The file rsync took as the basis of a delta (the replica's own, or a mesh peer's live file
  // under --compare-dest) changed or vanished during the transfer: a race, not a broken rsync
  // (seen in mesh-4way while the peer applied a newer version of that file).
  { codes: [2], pattern: /got a block match with no basis file/i, verdict: 'retry', reason: 'the basis file changed on the replica during the transfer' },
  { codes: [255, 12], pattern: /Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/i, verdict: 'fatal', reason: 'ssh host key verification failed (check knownHostsFile)' },
  { codes: [255, 12], pattern: /Permission denied \(|Too many authentication failures/i, verdict: 'fatal', reason: 'ssh authentication failed (check identityFile and the authorized_keys of the replica)' },
  { codes: [255, 12, 127], pattern: /rsync: (?:command )?not found|rsync: No such file or directory/i, verdict: 'fatal', reason: 'rsync is not installed on the replica (or set remoteRsyncPath)' },
];

/**
 * Classifies how an rsync run ended. `signal` is set when rsync was killed (by us on a timeout
 * or stop, or by someone else): retry, since nothing says the replica is broken. Codes missing
 * from the table retry too, with the code in the reason.
 */
export function classifyExit(exitCode: number | undefined, signal: string | undefined, stderr = ''): ExitClass {
  if (exitCode === undefined) {
    return { verdict: 'retry', reason: signal ? `rsync was killed by ${signal}` : 'rsync ended without an exit code' };
  }
  for (const rule of STDERR_RULES) {
    if (rule.codes.includes(exitCode) && rule.pattern.test(stderr)) return { verdict: rule.verdict, reason: rule.reason };
  }
  return RSYNC_EXIT[exitCode] ?? { verdict: 'retry', reason: `unknown rsync exit code ${exitCode}` };
}
