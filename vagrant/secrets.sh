#!/bin/sh
# Runs on the HOST before `vagrant up|reload|provision` (a trigger in the Vagrantfile), and by hand
# for tests. Makes what the nodes share, once, under vagrant/.secrets/ (mode 0700, not in git;
# the rsync synced folder carries it to every node):
#   id_ed25519{,.pub}            the cluster's client key: the controller's root login to every
#                                node, and every node's key for the others (like the netns nodes)
#   hosts/NAME/ssh_host_ed25519_key{,.pub}   each node's sshd host key, pinned in known_hosts
#   rsync.password               the rsync daemon password of user `livemirror`
# and, on every run, from its arguments SELECTOR NAME=OS=ADDRESS... (the Vagrantfile's choice,
# LM_SHAPE=NAME or LM_NODES=MIX, and the node list it made of it):
#   selector                     SELECTOR, so that vagrant/inventory.ts asks Vagrant about the
#                                same machines (`vagrant ssh-config` sees only the chosen ones)
#   nodes.tsv                    NAME<TAB>OS<TAB>ADDRESS, one line per node
#   known_hosts                  every node as `NAME,ADDRESS ssh-ed25519 KEY`
# Keys are never replaced once made. Safe to run concurrently (a lock directory).
set -eu

dir=${LM_SECRETS_DIR:-"$(cd "$(dirname "$0")" && pwd)/.secrets"}
usage() { echo "usage: $0 LM_SHAPE=NAME|LM_NODES=MIX NAME=OS=ADDRESS..." >&2; exit 2; }
[ "$#" -gt 1 ] || usage
selector=$1
shift
case "$selector" in
  LM_SHAPE=*[!a-z0-9-]* | LM_NODES=*[!a-z0-9:,]*) usage ;;
  LM_SHAPE=?* | LM_NODES=?*) ;;
  *) usage ;;
esac
command -v ssh-keygen >/dev/null || { echo "secrets.sh: ssh-keygen (OpenSSH client) is needed on the host" >&2; exit 1; }

umask 077
mkdir -p "$dir/hosts"
chmod 700 "$dir"

lock="$dir/.lock"
tries=0
until mkdir "$lock" 2>/dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -ge 300 ]; then
    echo "secrets.sh: $lock is held for 60 s; remove it if no vagrant runs" >&2
    exit 1
  fi
  sleep 0.2
done
trap 'rmdir "$lock"' EXIT
trap 'exit 1' HUP INT TERM

# key FILE COMMENT: an ed25519 pair, made unless it exists.
key() {
  [ -s "$1" ] && [ -s "$1.pub" ] && return 0
  rm -f "$1" "$1.pub"
  ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1"
}

key "$dir/id_ed25519" "livemirror-vagrant-cluster"
if [ ! -s "$dir/rsync.password" ]; then
  # 18 random bytes as hex, like the netns harness's password.
  od -An -tx1 -N18 /dev/urandom | tr -d ' \n' > "$dir/rsync.password.tmp"
  echo >> "$dir/rsync.password.tmp"
  mv "$dir/rsync.password.tmp" "$dir/rsync.password"
fi

: > "$dir/nodes.tsv.tmp"
: > "$dir/known_hosts.tmp"
for spec in "$@"; do
  name=${spec%%=*}
  rest=${spec#*=}
  os=${rest%%=*}
  address=${rest#*=}
  case "$name" in
    '' | *[!a-z0-9-]* | [!a-z]*) echo "secrets.sh: bad node name in '$spec'" >&2; exit 2 ;;
  esac
  case "$os" in
    freebsd | debian) ;;
    *) echo "secrets.sh: bad OS in '$spec' (freebsd or debian)" >&2; exit 2 ;;
  esac
  case "$address" in
    '' | *[!0-9.]*) echo "secrets.sh: bad address in '$spec'" >&2; exit 2 ;;
  esac
  mkdir -p "$dir/hosts/$name"
  key "$dir/hosts/$name/ssh_host_ed25519_key" "host $name"
  printf '%s\t%s\t%s\n' "$name" "$os" "$address" >> "$dir/nodes.tsv.tmp"
  # `ssh-ed25519 KEY comment` → `NAME,ADDRESS ssh-ed25519 KEY`
  read -r type blob _ < "$dir/hosts/$name/ssh_host_ed25519_key.pub"
  printf '%s,%s %s %s\n' "$name" "$address" "$type" "$blob" >> "$dir/known_hosts.tmp"
done
printf '%s\n' "$selector" > "$dir/selector"
mv "$dir/nodes.tsv.tmp" "$dir/nodes.tsv"
mv "$dir/known_hosts.tmp" "$dir/known_hosts"
echo "secrets.sh: $dir ready for $# node(s)"
