import type { Clock } from '../core/clock.js';
import { localRenamer } from './transport-local.js';
import type { Renamer } from './transport.js';
import type { ReplicaSpec } from '../core/replica-spec.js';
import type { ReplicaTunables } from '../core/tunables.js';

/**
 * The rename transport a replica uses: rename(2) for local targets, sftp for ssh targets, none
 * for rsync daemons (which offer no rename; the Replica then uses --fuzzy and delayed deletes)
 * or when `spec.renames` is off.
 */
export function renamerFor(spec: ReplicaSpec, tunables: Pick<ReplicaTunables, 'connectTimeoutS' | 'ioTimeoutS'>, clock: Clock): Renamer | undefined {
  if (!spec.renames) return undefined;
  switch (spec.target.kind) {
    case 'local':
      return localRenamer(spec.target.path);
    case 'ssh':
      return lazySshRenamer(spec, tunables, clock);
    case 'daemon':
      return undefined;
  }
}

/**
 * The sftp renamer, loaded at the first rename: ssh2 (and its crypto) is the largest module the
 * daemon has, and a daemon that never renames over ssh should not carry it from the start.
 */
function lazySshRenamer(spec: ReplicaSpec, tunables: Pick<ReplicaTunables, 'connectTimeoutS' | 'ioTimeoutS'>, clock: Clock): Renamer {
  let real: Promise<Renamer> | undefined;
  const get = () => (real ??= import('./transport-ssh.js').then((m) => m.sshRenamer(spec, tunables, { clock })));
  return {
    rename: async (move) => (await get()).rename(move),
    close: async () => {
      if (real) await (await real).close();
    },
  };
}
