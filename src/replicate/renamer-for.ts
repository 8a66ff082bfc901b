import type { Clock } from '../core/clock.js';
import { localRenamer } from './transport-local.js';
import { sshRenamer } from './transport-ssh.js';
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
      return sshRenamer(spec, tunables, { clock });
    case 'daemon':
      return undefined;
  }
}
