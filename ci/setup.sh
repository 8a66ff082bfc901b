#!/usr/bin/env bash
# Installs what livemirror's demo and tests need on a fresh Debian machine that has only Node.js
# and npm: system packages via apt-get when run as root (otherwise it says what to install),
# then the npm packages (npm ci also builds dist/ through the "prepare" script).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v rsync >/dev/null || need+=(rsync)
command -v ssh >/dev/null || need+=(openssh-client)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ip >/dev/null || need+=(iproute2)
command -v tc >/dev/null || need+=(iproute2)
command -v nft >/dev/null || need+=(nftables)
command -v nsenter >/dev/null || need+=(util-linux)
command -v ps >/dev/null || need+=(procps)
command -v curl >/dev/null || need+=(curl)         # e2e: reads status sockets on the nodes
# `--tests` (npm test): what only the tests need. ci/vagrant.sh checks the VM cluster's files
# (vagrant validate, shellcheck) and starts no VM; the demo does not need any of it.
if [ "${1:-}" = --tests ]; then
  command -v vagrant >/dev/null || need+=(vagrant)
  command -v ruby >/dev/null || need+=(ruby)
  command -v shellcheck >/dev/null || need+=(shellcheck)
  # ci/containers.sh: the containers provider on podman's Docker API (rootful, runc), its node
  # image built from a debootstrap root (no registry is reachable).
  command -v podman >/dev/null || need+=(podman)
  command -v runc >/dev/null || need+=(runc)
  command -v debootstrap >/dev/null || need+=(debootstrap)
  if command -v dpkg-query >/dev/null && ! dpkg-query -W -f='${Status}' vagrant-libvirt 2>/dev/null | grep -q 'ok installed'; then
    need+=(vagrant-libvirt)                        # so that validate checks the libvirt settings too
  fi
fi

if [ ${#need[@]} -gt 0 ]; then
  mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: livemirror needs these packages: ${need[*]}" >&2
    echo "       install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

# Rootful podman without systemd (CI, containers): the cgroupfs manager, runc (crun refuses hybrid
# cgroups), events in a file (no journald) and ulimits the kernel accepts (podman's default
# RLIMIT_NPROC is refused). Written only where no containers.conf exists: a user's stays as it is.
if [ "${1:-}" = --tests ] && [ "$(id -u)" = 0 ] && command -v podman >/dev/null && [ ! -e /etc/containers/containers.conf ]; then
  echo "setup: writing /etc/containers/containers.conf (cgroupfs, runc, file events)"
  mkdir -p /etc/containers
  cat > /etc/containers/containers.conf <<'CONF'
# Written by livemirror's ci/setup.sh: rootful podman on a machine without systemd.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "runc"
CONF
fi

# The event source needs one inotify watch per directory; raise a low limit for the tests' big trees.
if [ "$(id -u)" = 0 ] && [ -w /proc/sys/fs/inotify/max_user_watches ]; then
  [ "$(cat /proc/sys/fs/inotify/max_user_watches)" -ge 524288 ] || echo 524288 > /proc/sys/fs/inotify/max_user_watches
  [ "$(cat /proc/sys/fs/inotify/max_user_instances)" -ge 1024 ] || echo 1024 > /proc/sys/fs/inotify/max_user_instances
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
[ -f dist/cli/main.js ] || npm run --silent build
