import { NODE_DATA_DIR, NODE_RUN_DIR } from '../shared/layout.js';

/** The line a node's init prints once sshd and the rsync daemon accept connections. */
export const UP_LINE = 'lm-node up';

/**
 * A node container's pid 1 (bash), run from NODE_RUN_DIR (the node's directory on the machine,
 * bound in): makes the data dir on its tmpfs, starts sshd and the rsync daemon with the
 * harness's configs, waits (bounded) until both accept connections on the node's address, says
 * UP_LINE, then reaps orphans until the container is removed.
 */
export const NODE_INIT = `set -eu
trap 'echo "node init failed at line $LINENO: $BASH_COMMAND (exit $?)" >&2' ERR
addr=$1
mkdir -p /run/sshd
mkdir -p -m 0755 ${NODE_DATA_DIR}
cd /
# stdin from /dev/null: rsync would take a socket on stdin for inetd's.
/usr/sbin/sshd -f ${NODE_RUN_DIR}/sshd_config -E ${NODE_RUN_DIR}/sshd.log </dev/null
rsync --daemon --config=${NODE_RUN_DIR}/rsyncd.conf </dev/null
for port in 22 873; do
  i=0
  until (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -ge 1000 ]; then echo "nothing listens on $addr:$port" >&2; exit 1; fi
    sleep 0.01
  done
done
echo "${UP_LINE}"
exec </dev/null >/dev/null 2>&1
set +e
trap - ERR
trap 'exit 0' TERM
while :; do sleep 3600 & wait $!; done
`;
