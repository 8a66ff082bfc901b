/**
 * The contestants of the ssh workloads (sshlatency, bigfile): each keeps ONE replica behind the
 * loopback sshd (loopback-sshd.ts) equal to a source, logging in as its user with its key:
 *  - livemirror    the built CLI with a config file, at its defaults: one kept ssh connection
 *                  (an OpenSSH master) that every rsync's ssh runs its session over;
 *  - livemirror, no connection sharing   the same with `sshConnectionSharing: false` (sshlatency
 *                  only): a fresh ssh login per rsync, to show what the kept connection buys;
 *  - lsyncd-tuned  default.rsync, delay 0, maxProcesses 4, with the same ssh as its rsh: one rsync
 *                  and so one ssh handshake per change;
 *  - floor         bigfile only: one plain `rsync -a -e SSH SRC/ user@127.0.0.1:DST/` started right
 *                  after the change.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import type { ContestantName } from './config.js';
import { always, lsyncdAvailable, rsyncsAfterWrites, runLivemirror, runLsyncd, type Running } from './contestants.js';
import { loopbackSshAvailable, type LoopbackSshd } from './loopback-sshd.js';
import { lsyncdConfig } from './lsyncd-config.js';

/** A fresh temp tree: `source/`, and `replica/` owned by the ssh user, reached as `target`. */
export interface SshTree {
  readonly dir: string;
  readonly source: string;
  /** The replica's local path (the workload reads it directly). */
  readonly replica: string;
  /** The replica as the contestants name it: `user@127.0.0.1:/…/replica/`. */
  readonly target: string;
  cleanup(): void;
}

export function makeSshTree(sshd: LoopbackSshd): SshTree {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lm-bench-ssh-'));
  // The ssh user must reach its replica below this directory (mkdtemp makes it 0700).
  chmodSync(dir, 0o711);
  const source = path.join(dir, 'source');
  const replica = path.join(dir, 'replica');
  mkdirSync(source);
  mkdirSync(replica);
  sshd.giveToUser(replica);
  return { dir, source, replica, target: sshd.target(`${replica}/`), cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }) };
}

export interface SshContestant {
  readonly name: ContestantName;
  /** Its row in the report (a contestant may run in two variants). */
  readonly label: string;
  readonly sshConnectionSharing?: boolean;
  available(): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** Starts replicating `t.source` to `t.target`; resolves once the initial sync is done. */
  start(t: SshTree, sshd: LoopbackSshd): Promise<Running>;
}

function livemirrorSsh(sharing: boolean): SshContestant {
  return {
    name: 'livemirror',
    label: sharing ? 'livemirror' : 'livemirror, no connection sharing',
    sshConnectionSharing: sharing,
    available: always,
    async start(t, sshd) {
      const socket = path.join(t.dir, 'status.sock');
      const config = path.join(t.dir, 'livemirror.yaml');
      const replica = { target: t.target, identityFile: sshd.identityFile, knownHostsFile: sshd.knownHostsFile, sshPort: sshd.port, ...(sharing ? {} : { sshConnectionSharing: false }) };
      writeFileSync(config, stringify({ source: t.source, replicas: [replica], statusSocket: socket, logFormat: 'json', logLevel: 'warn' }));
      return runLivemirror(['run', '-c', config], socket);
    },
  };
}

export const livemirrorOverSsh = livemirrorSsh(true);
export const livemirrorOverSshUnshared = livemirrorSsh(false);

export const lsyncdTunedOverSsh: SshContestant = {
  name: 'lsyncd-tuned',
  label: 'lsyncd-tuned',
  available: lsyncdAvailable,
  async start(t, sshd) {
    const config = path.join(t.dir, 'lsyncd-tuned.lua');
    writeFileSync(config, lsyncdConfig({ source: t.source, replicas: [t.target], flavour: 'tuned', rsh: sshd.rsh }));
    return runLsyncd(config, 1);
  },
};

export const floorOverSsh: SshContestant = {
  name: 'floor',
  label: 'floor',
  available: always,
  start: async (t, sshd) => rsyncsAfterWrites([['-a', '-e', sshd.rsh, `${t.source}/`, t.target]]),
};

/** The contestants of a workload among those chosen on the command line (--contestants). */
export function sshContestants(workload: 'sshlatency' | 'bigfile', chosen: readonly ContestantName[]): SshContestant[] {
  const all = workload === 'sshlatency' ? [livemirrorOverSsh, livemirrorOverSshUnshared, lsyncdTunedOverSsh] : [livemirrorOverSsh, lsyncdTunedOverSsh, floorOverSsh];
  return all.filter((c) => chosen.includes(c.name));
}

/** Whether `c` can run over the loopback ssh here: root and sshd (loopback-sshd.ts), then what the contestant itself needs. */
export async function canRunOverSsh(c: SshContestant): Promise<{ ok: true } | { ok: false; reason: string }> {
  const ssh = await loopbackSshAvailable();
  return ssh.ok ? c.available() : ssh;
}
