#!/bin/sh
# Debian 12 node, as root (Vagrant's shell provisioner): packages, Node.js 20, the data filesystem.
# The cluster part (keys, sshd, rsync daemon, /etc/hosts) is provision-cluster.sh.
# Env: LM_PROJECT_DIR (the synced project), LM_DATA_MIB (size of /srv), LM_DEBIAN_AUDITD (1: auditd).
set -eu
: "${LM_PROJECT_DIR:?}" "${LM_DATA_MIB:?}"
export DEBIAN_FRONTEND=noninteractive

pkgs="rsync openssh-server openssh-client ca-certificates e2fsprogs nftables iproute2 procps curl"
[ "${LM_DEBIAN_AUDITD:-0}" = 1 ] && pkgs="$pkgs auditd"
apt-get update -qq
# shellcheck disable=SC2086 # a word list on purpose
apt-get install -y -qq --no-install-recommends $pkgs >/dev/null

# Node.js 20 from NodeSource (Debian 12 ships 18), the way this project's CI machines have it.
# The repository key is in this repository (vagrant/keys/nodesource.asc, fingerprint
# 6F71F525282841EEDAF851B42F59B5F99B1BE0B4, the key those machines' packages were verified with):
# nothing is trusted on first download.
node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
if [ "$(node_major)" != 20 ]; then
  install -d -m 0755 /etc/apt/keyrings
  install -m 0644 "$LM_PROJECT_DIR/vagrant/keys/nodesource.asc" /etc/apt/keyrings/nodesource.asc
  cat > /etc/apt/sources.list.d/nodesource.sources <<'SOURCES'
Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main
Signed-By: /etc/apt/keyrings/nodesource.asc
SOURCES
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nodejs >/dev/null
fi
echo "node $(node --version), npm $(npm --version)"

# /srv on its own small filesystem (an ext4 image on a loop device), so fillDisk fills it and not
# the root filesystem. The size is fixed when the image is made: `vagrant destroy` to change it.
img=/var/lib/livemirror/data.img
if ! mountpoint -q /srv; then
  install -d -m 0755 /var/lib/livemirror /srv
  if [ ! -f "$img" ]; then
    truncate -s "${LM_DATA_MIB}M" "$img"
    mkfs.ext4 -q -F -L lm-data "$img"
  fi
  grep -q "^$img " /etc/fstab || echo "$img /srv ext4 loop,nofail 0 2" >> /etc/fstab
  systemctl daemon-reload
  mount /srv
fi
install -d -m 0755 /srv/data
df -h /srv | tail -n 1

if [ "${LM_DEBIAN_AUDITD:-0}" = 1 ]; then systemctl enable --now auditd; fi
systemctl enable ssh >/dev/null 2>&1
