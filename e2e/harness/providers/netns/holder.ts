import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLUSTER_DIR, NODE_DATA_DIR, NODE_DATA_FS, NODE_HOME, NODE_RUN_DIR, PROJECT_DIR } from './layout.js';

/**
 * Holders: long-lived processes that own a node's (or the switch's) namespaces.
 *
 * A node holder is `unshare --net --mount --uts --ipc --pid --fork --mount-proc` running
 * NODE_SCRIPT as the node's pid 1. The script makes the node's private mounts, says "ready",
 * waits for "go" on stdin (sent once its eth0 exists), configures eth0, starts sshd and
 * the rsync daemon, waits until both accept connections, says "up", then detaches from the
 * harness and reaps orphans forever. EOF on stdin before "go" (the harness died) makes it exit,
 * which ends the node: pid 1 exiting kills every process in the pid namespace, and with the
 * last process the network and mount namespaces go too.
 */

const NODE_SCRIPT = `set -eu
trap 'echo "node init failed at line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
name=$1 dir=$2 size=$3 addr=$4 project=$5
echo "$name" > /proc/sys/kernel/hostname
exec 3<"$dir"
# The project (the daemon the node runs) may live below a path the node gets privately (/tmp in
# a CI clone, /root): keep a handle on it and bind it back at the same path below.
exec 4<"$project"
mount -t tmpfs -o mode=0755,size=64m lm-run /run
mkdir -p /run/sshd /run/lock ${NODE_RUN_DIR}
mount --bind /proc/self/fd/3 ${NODE_RUN_DIR}
exec 3<&-
mount --bind ${NODE_RUN_DIR}/home ${NODE_HOME}
mount --bind ${NODE_RUN_DIR}/hosts /etc/hosts
mount -t tmpfs -o mode=1777,size=512m lm-tmp /tmp
mount -t tmpfs -o mode=0755,size="$size"m lm-data ${NODE_DATA_FS}
mkdir -m 0755 ${NODE_DATA_DIR}
if [ ! -e "$project/package.json" ]; then
  mkdir -p "$project"
  # --no-canonicalize: mount would resolve the fd link to its path name, i.e. the empty new dir.
  mount --no-canonicalize --bind /proc/self/fd/4 "$project"
fi
exec 4<&-
cd /
echo ready
IFS= read -r go || { echo "stdin closed before go" >&2; exit 1; }
[ "$go" = go ] || { echo "expected go, got '$go'" >&2; exit 1; }
ip -batch ${NODE_RUN_DIR}/net.batch
# stdin from /dev/null: the harness's pipe is a socket, and rsync would take it for inetd's.
/usr/sbin/sshd -f ${NODE_RUN_DIR}/sshd_config -E ${NODE_RUN_DIR}/sshd.log </dev/null
rsync --daemon --config=${NODE_RUN_DIR}/rsyncd.conf </dev/null
for port in 22 873; do
  i=0
  until (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge 1000 ]; then echo "nothing listens on $addr:$port" >&2; exit 1; fi
    sleep 0.005
  done
done
echo up
exec </dev/null >/dev/null 2>&1
set +e
trap - ERR
trap 'exit 0' TERM
while :; do sleep 3600 & wait $!; done
`;

/** The switch holder: a network namespace and nothing else; same stdin handshake. */
const SWITCH_SCRIPT = `set -eu
echo ready
IFS= read -r go || exit 1
[ "$go" = go ] || exit 1
echo up
exec </dev/null >/dev/null 2>&1
exec sleep infinity
`;

export const NODE_SCRIPT_PATH = path.join(CLUSTER_DIR, 'node-init.sh');
export const SWITCH_SCRIPT_PATH = path.join(CLUSTER_DIR, 'switch-init.sh');

export async function writeHolderScripts(): Promise<void> {
  await Promise.all([
    writeFile(NODE_SCRIPT_PATH, NODE_SCRIPT, { mode: 0o700 }),
    writeFile(SWITCH_SCRIPT_PATH, SWITCH_SCRIPT, { mode: 0o700 }),
  ]);
}

/**
 * A holder during setup. Contract: `waitFor('ready'|'up', ms)` resolves when the script printed
 * that line and rejects (with its stderr) if it exits or stays silent past the deadline;
 * `go()` lets it continue; `detach()` lets the harness exit while the holder lives on.
 */
export interface Holder {
  readonly pid: number;
  waitFor(line: 'ready' | 'up', deadlineMs: number): Promise<void>;
  go(): void;
  detach(): void;
}

function holderFrom(child: ChildProcess, label: string): Holder {
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${label}: could not start holder`);
  let out = '';
  let err = '';
  let exited: string | undefined;
  const waiters = new Set<() => void>();
  const wake = (): void => waiters.forEach((w) => w());
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    wake();
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err = (err + d).slice(-4000);
  });
  child.on('error', (e) => {
    exited = e.message;
    wake();
  });
  // 'close', not 'exit': stderr may still hold the reason when the process has just exited.
  child.on('close', (code, sig) => {
    exited = `exit ${code ?? sig}`;
    wake();
  });
  const seen = new Set<string>();
  return {
    pid,
    waitFor(line, deadlineMs) {
      return new Promise<void>((resolve, reject) => {
        const check = (): void => {
          for (const l of out.split('\n')) seen.add(l);
          if (seen.has(line)) finish(undefined);
          else if (exited !== undefined) finish(new Error(`${label}: holder ended (${exited}) before '${line}': ${err.trim()}`));
        };
        const timer = setTimeout(() => finish(new Error(`${label}: no '${line}' within ${deadlineMs} ms: ${err.trim()}`)), deadlineMs);
        const finish = (e: Error | undefined): void => {
          clearTimeout(timer);
          waiters.delete(check);
          if (e) reject(e);
          else resolve();
        };
        waiters.add(check);
        check();
      });
    },
    go() {
      child.stdin?.write('go\n');
    },
    detach() {
      child.stdin?.end();
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.removeAllListeners('close');
      child.unref();
    },
  };
}

const spawnHolder = (argv: readonly string[], label: string): Holder => {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('empty holder argv');
  // detached: own process group, so a terminal's Ctrl-C reaches only the harness (which then
  // tears the cluster down itself).
  return holderFrom(spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true }), label);
};

export function spawnNodeHolder(name: string, dir: string, dataSizeMiB: number, address: string): Holder {
  return spawnHolder(
    [
      'unshare', '--net', '--mount', '--uts', '--ipc', '--pid', '--fork', '--kill-child', '--mount-proc', '--propagation', 'private',
      '--', '/bin/bash', NODE_SCRIPT_PATH, name, dir, String(dataSizeMiB), address, PROJECT_DIR,
    ],
    name,
  );
}

export function spawnSwitchHolder(): Holder {
  return spawnHolder(['unshare', '--net', '--', '/bin/bash', SWITCH_SCRIPT_PATH], 'switch');
}
