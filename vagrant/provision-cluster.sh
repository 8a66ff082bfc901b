#!/bin/sh
# Every node, as root, after provision-{debian,freebsd}.sh: makes the node a cluster host like the
# e2e harness's netns nodes (e2e/harness/README.md), from vagrant/.secrets/ (made on the host by
# secrets.sh and synced in with the project):
#   sshd      its pinned ed25519 host key, root login with a key only
#   /root     .ssh/id_ed25519 (the cluster key), authorized_keys, known_hosts (every node by
#             name and address), .ssh/config (`ssh NAME`, `rsync -e ssh` just work), .rsync.password
#   rsyncd    module `data` → /srv/data, read/write, user `livemirror`, password auth, port 873
#   /etc/hosts  every node by name
# Idempotent: managed blocks are replaced, never appended twice. Env: LM_NODE, LM_PROJECT_DIR.
set -eu
: "${LM_NODE:?}" "${LM_PROJECT_DIR:?}"
secrets="$LM_PROJECT_DIR/vagrant/.secrets"
[ -f "$secrets/nodes.tsv" ] || { echo "provision-cluster: $secrets/nodes.tsv missing (vagrant/secrets.sh runs before 'vagrant up')" >&2; exit 1; }
[ -f "$secrets/hosts/$LM_NODE/ssh_host_ed25519_key" ] || { echo "provision-cluster: no host key for $LM_NODE in $secrets" >&2; exit 1; }
umask 022

case "$(uname -s)" in
  FreeBSD) rsyncd_conf=/usr/local/etc/rsync/rsyncd.conf; root_group=wheel ;;
  *) rsyncd_conf=/etc/rsyncd.conf; root_group=root ;;
esac
data_dir=/srv/data
prefix=$(awk -F '\t' -v n="$LM_NODE" '$1 == n { split($3, o, "."); print o[1] "." o[2] "." o[3] }' "$secrets/nodes.tsv")
[ -n "$prefix" ] || { echo "provision-cluster: $LM_NODE is not in $secrets/nodes.tsv" >&2; exit 1; }

# replace_block FILE: FILE without the lines between the livemirror markers, then stdin as the new
# block — at the top (sshd takes the first value of a keyword) when $2 is "top", else at the end.
begin='# >>> livemirror vagrant >>>'
end='# <<< livemirror vagrant <<<'
replace_block() {
  tmp="$1.lm-tmp"
  block=$(cat)
  rest=$(awk -v b="$begin" -v e="$end" '$0 == b { skip = 1; next } $0 == e { skip = 0; next } !skip' "$1")
  if [ "${2:-end}" = top ]; then
    printf '%s\n%s\n%s\n%s\n' "$begin" "$block" "$end" "$rest" > "$tmp"
  else
    printf '%s\n%s\n%s\n%s\n' "$rest" "$begin" "$block" "$end" > "$tmp"
  fi
  cat "$tmp" > "$1"
  rm -f "$tmp"
}

# /etc/hosts: every node by name.
awk -F '\t' '{ print $3 "\t" $1 }' "$secrets/nodes.tsv" | replace_block /etc/hosts

# sshd: the pinned host key only, root by key only, room for the harness's parallel sessions.
install -m 0600 -o root -g "$root_group" "$secrets/hosts/$LM_NODE/ssh_host_ed25519_key" /etc/ssh/ssh_host_ed25519_key
install -m 0644 -o root -g "$root_group" "$secrets/hosts/$LM_NODE/ssh_host_ed25519_key.pub" /etc/ssh/ssh_host_ed25519_key.pub
replace_block /etc/ssh/sshd_config top <<'SSHD'
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PubkeyAuthentication yes
UseDNS no
MaxSessions 64
MaxStartups 64:30:256
SSHD
sshd_bin=$(command -v sshd || echo /usr/sbin/sshd)
"$sshd_bin" -t
service sshd restart 2>/dev/null || service ssh restart

# root's client side, as on a netns node.
install -d -m 0700 /root/.ssh
install -m 0600 "$secrets/id_ed25519" /root/.ssh/id_ed25519
install -m 0644 "$secrets/id_ed25519.pub" /root/.ssh/id_ed25519.pub
touch /root/.ssh/authorized_keys
chmod 0600 /root/.ssh/authorized_keys
grep -qxF "$(cat "$secrets/id_ed25519.pub")" /root/.ssh/authorized_keys || cat "$secrets/id_ed25519.pub" >> /root/.ssh/authorized_keys
install -m 0644 "$secrets/known_hosts" /root/.ssh/known_hosts
cat > /root/.ssh/config <<'SSHCONFIG'
# Reach the other nodes with the cluster key; host keys are pinned in known_hosts.
Host *
  User root
  IdentityFile ~/.ssh/id_ed25519
  IdentitiesOnly yes
  UserKnownHostsFile ~/.ssh/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 5
  ServerAliveInterval 5
  ServerAliveCountMax 3
SSHCONFIG
chmod 0600 /root/.ssh/config
install -m 0600 "$secrets/rsync.password" /root/.rsync.password

# The rsync daemon: one read/write module over the data dir (as the netns nodes have it).
install -d -m 0755 "$(dirname "$rsyncd_conf")"
install -m 0600 /dev/null /etc/rsyncd.secrets
printf 'livemirror:%s\n' "$(cat "$secrets/rsync.password")" > /etc/rsyncd.secrets
cat > "$rsyncd_conf" <<RSYNCD
# livemirror vagrant node rsync daemon: one read/write module over the data dir.
pid file = /var/run/rsyncd.pid
log file = /var/log/rsyncd.log
port = 873
use chroot = yes
uid = 0
gid = 0
numeric ids = yes
reverse lookup = no
max connections = 0

[data]
  path = $data_dir
  read only = no
  list = yes
  auth users = livemirror
  secrets file = /etc/rsyncd.secrets
  strict modes = yes
  hosts allow = $prefix.0/24 127.0.0.0/8
RSYNCD
case "$(uname -s)" in
  FreeBSD) service rsyncd restart ;;
  *) systemctl enable rsync >/dev/null 2>&1; systemctl restart rsync ;;
esac

echo "provision-cluster: $LM_NODE ready: ssh root@$LM_NODE, rsync://livemirror@$LM_NODE/data ($data_dir)"
