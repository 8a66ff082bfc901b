#!/usr/bin/env bash
# Debian 12 VMs under qemu WITHOUT KVM (TCG software emulation), for machines that have neither
# VirtualBox nor KVM: the VMs Vagrant would make, made by hand, provisioned by the same scripts
# (provision-debian.sh, provision-cluster.sh, build.sh, as Vagrant's shell provisioner runs them),
# and described by an ssh inventory for `npm run e2e -- --provider ssh`. See vagrant/README.md.
#
#   vagrant/qemu-tcg.sh image          debootstrap bookworm → DIR/base.img (raw ext4, no partition
#                                      table) + DIR/vmlinuz + DIR/initrd.img; once (~minutes)
#   vagrant/qemu-tcg.sh up             secrets, bridge + taps, one qcow2 overlay and one qemu per
#                                      node, waits (bounded) until every sshd answers
#   vagrant/qemu-tcg.sh provision      project + secrets to /opt/livemirror by rsync, then the three
#                                      provisioning scripts on every node (in parallel, logs in DIR)
#   vagrant/qemu-tcg.sh inventory      DIR/inventory.yaml (+ DIR/secrets/known_hosts.controller)
#   vagrant/qemu-tcg.sh all            image (if missing), up, provision, inventory; on a failure
#                                      it runs `down` (LM_KEEP_ON_FAILURE=1 keeps the VMs)
#   vagrant/qemu-tcg.sh status | ssh NODE [CMD...]
#   vagrant/qemu-tcg.sh down           stops the qemu processes by the pids in DIR/*.pid, removes
#                                      the taps and the bridge it made (DIR/net.list), the overlays
#
# Env: LM_QEMU_DIR (scratch: images, disks, serial logs, secrets; default /var/tmp/livemirror-qemu),
# LM_SHAPE (a Vagrantfile shape: its node names, every node Debian here) or LM_NODES=deb:N
# (default deb:2), LM_NET_PREFIX (private /24, default 10.77.0; refused if the host uses it),
# LM_VM_MEMORY (MiB, default 1024), LM_VM_CPUS (default 1), LM_DATA_MIB (default 256),
# LM_SSH_PORT_BASE (node i's sshd is forwarded from 127.0.0.1:(BASE+i), default 2330),
# LM_BOOT_TIMEOUT (s, default 900), LM_DEBIAN_MIRROR (default http://deb.debian.org/debian),
# LM_DEBIAN_SECURITY_MIRROR (default http://deb.debian.org/debian-security).
#
# Each VM has two NICs, like a VirtualBox Vagrant VM: eth0 is qemu's user-mode NAT (the mirror and
# the npm registry for provisioning; sshd forwarded from 127.0.0.1 for the controller), eth1 is on
# a host bridge with no host address (the cluster network: only the VMs are on it). qemu runs under
# `nice -n 10`. Needs root (bridge, taps), qemu-system-x86, qemu-utils, debootstrap, rsync, ssh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
dir=${LM_QEMU_DIR:-/var/tmp/livemirror-qemu}
net_prefix=${LM_NET_PREFIX:-10.77.0}
memory=${LM_VM_MEMORY:-1024}
cpus=${LM_VM_CPUS:-1}
data_mib=${LM_DATA_MIB:-256}
port_base=${LM_SSH_PORT_BASE:-2330}
boot_timeout=${LM_BOOT_TIMEOUT:-900}
mirror=${LM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
bridge=lmqbr0
project_dir=/opt/livemirror

log() { printf '%s qemu-tcg: %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "$*"; exit 1; }

# The nodes: NAME per line, from LM_SHAPE (the Vagrantfile's names) or LM_NODES=deb:N.
node_names() {
  case "${LM_SHAPE:-}" in
    '') ;;
    master-slave) printf '%s\n' web1 web2; return ;;
    farm-1to4) printf '%s\n' ftp1 web1 web2 web3 web4; return ;;
    mesh-4way) printf '%s\n' n1 n2 n3 n4; return ;;
    large-dir) printf '%s\n' src1 dst1; return ;;
    faults) printf '%s\n' src1 dst1 dst2; return ;;
    *) die "LM_SHAPE: unknown shape '$LM_SHAPE'" ;;
  esac
  local mix=${LM_NODES:-deb:2} n i
  case "$mix" in
    deb:[1-9] | deb:[1-9][0-9]) n=${mix#deb:} ;;
    *) die "LM_NODES: only deb:N here (no FreeBSD image can be built on Linux with debootstrap)" ;;
  esac
  for ((i = 1; i <= n; i++)); do echo "deb$i"; done
}
selector() { if [ -n "${LM_SHAPE:-}" ]; then echo "LM_SHAPE=$LM_SHAPE"; else echo "LM_NODES=${LM_NODES:-deb:2}"; fi; }

mapfile -t nodes < <(node_names)
[ "${#nodes[@]}" -gt 0 ] || die "no nodes"
[ "${#nodes[@]}" -le 50 ] || die "at most 50 nodes"

ssh_opts() { # NODE-INDEX → ssh options for the controller (bootstrap key, pinned host keys)
  printf '%s\n' -p "$((port_base + $1))" -i "$dir/bootstrap_key" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o ConnectTimeout=5 -o StrictHostKeyChecking=yes -o "UserKnownHostsFile=$dir/known_hosts" \
    -o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR
}
node_ssh() { # INDEX CMD... (CMD is run by the node's shell: fixed strings only)
  local i=$1 opts
  shift
  mapfile -t opts < <(ssh_opts "$i")
  # shellcheck disable=SC2029 # the words are for the node's shell, on purpose
  ssh "${opts[@]}" root@127.0.0.1 "$@"
}

cmd_image() {
  local root="$dir/root" t0=$SECONDS
  command -v debootstrap >/dev/null || die "debootstrap missing (apt-get install debootstrap)"
  command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 missing (e2fsprogs)"
  mkdir -p "$dir"
  [ -f "$dir/bootstrap_key" ] || ssh-keygen -q -t ed25519 -N '' -C livemirror-qemu-bootstrap -f "$dir/bootstrap_key"
  if [ ! -x "$root/usr/bin/ssh" ]; then
    rm -rf "$root"
    log "debootstrap bookworm → $root (from $mirror)"
    # Everything provision-debian.sh installs is here already (it still runs apt-get for them).
    debootstrap --variant=minbase \
      --include=systemd-sysv,udev,kmod,linux-image-amd64,openssh-server,openssh-client,rsync,ca-certificates,e2fsprogs,nftables,iproute2,procps,curl,netbase,less \
      bookworm "$root" "$mirror" > "$dir/debootstrap.log" 2>&1 || die "debootstrap failed: $dir/debootstrap.log"
  fi
  log "configuring the image"
  printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' > "$root/etc/fstab"
  : > "$root/etc/hostname" # the name comes from the kernel command line (systemd.hostname=)
  printf '127.0.0.1\tlocalhost\n' > "$root/etc/hosts"
  printf 'nameserver 10.0.2.3\n' > "$root/etc/resolv.conf" # qemu user-mode networking's DNS
  # With bookworm-security, as an installed Debian 12 (and a Vagrant box) has: without it rsync
  # stays 3.2.7-1+deb12u6, whose --delete-missing-args fails ("invalid file mode 00", exit 2;
  # RsyncProject/rsync#910), and every deletion livemirror sends halts the replica.
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
    "$mirror" "$mirror" "${LM_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}" > "$root/etc/apt/sources.list"
  # eth0: qemu's NAT by DHCP; eth1: the cluster address from the kernel command line (lm.addr=).
  mkdir -p "$root/etc/systemd/network"
  printf '[Match]\nName=eth0\n[Network]\nDHCP=ipv4\n' > "$root/etc/systemd/network/10-nat.network"
  cat > "$root/usr/local/sbin/lm-cluster-net" <<'NET'
#!/bin/sh
# eth1 gets the address given as lm.addr=A.B.C.D/N on the kernel command line (vagrant/qemu-tcg.sh).
set -eu
addr=$(tr ' ' '\n' < /proc/cmdline | sed -n 's/^lm\.addr=//p')
[ -n "$addr" ] || exit 0
mkdir -p /run/systemd/network
printf '[Match]\nName=eth1\n[Network]\nAddress=%s\nLinkLocalAddressing=no\n' "$addr" > /run/systemd/network/20-cluster.network
NET
  chmod 0755 "$root/usr/local/sbin/lm-cluster-net"
  cat > "$root/etc/systemd/system/lm-cluster-net.service" <<'UNIT'
[Unit]
Description=livemirror cluster address from the kernel command line
DefaultDependencies=no
Before=systemd-networkd.service
[Service]
Type=oneshot
ExecStart=/usr/local/sbin/lm-cluster-net
[Install]
WantedBy=systemd-networkd.service
UNIT
  chroot "$root" systemctl enable systemd-networkd.service lm-cluster-net.service >/dev/null 2>&1
  # Root by the bootstrap key only (Vagrant's own key plays this part in a box).
  install -d -m 0700 "$root/root/.ssh"
  install -m 0600 "$dir/bootstrap_key.pub" "$root/root/.ssh/authorized_keys"
  # Node.js 20: provision-debian.sh takes it from NodeSource, which is not reachable from here;
  # the host's NodeSource package (dpkg -L nodejs) goes in instead, so its `node_major` check passes,
  # with /usr/lib/node_modules as it is now (npm may have been updated since the package).
  if dpkg -s nodejs >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]')" = 20 ]; then
    { dpkg -L nodejs | while IFS= read -r f; do
        if [ -f "$f" ] || [ -L "$f" ]; then printf '%s\0' "${f#/}"; fi
      done
      printf '%s\0' usr/lib/node_modules; } | tar -C / --null -T - -cf - | tar -C "$root" -xf -
    chroot "$root" npm --version >/dev/null || die "npm does not run in the image"
  else
    log "no Node.js 20 package on this host: provision-debian.sh will try NodeSource"
  fi
  cp -L "$root/vmlinuz" "$dir/vmlinuz"
  cp -L "$root/initrd.img" "$dir/initrd.img"
  log "mkfs.ext4 -d → $dir/base.img (4 GiB sparse)"
  rm -f "$dir/base.img"
  truncate -s 4G "$dir/base.img"
  mkfs.ext4 -q -F -L lm-root -d "$root" "$dir/base.img"
  ssh-keygen -l -f "$root/etc/ssh/ssh_host_ed25519_key.pub" > "$dir/image-host-key.txt"
  cp "$root/etc/ssh/ssh_host_ed25519_key.pub" "$dir/image_host_ed25519_key.pub"
  log "image ready in $((SECONDS - t0)) s"
}

# The pid recorded for NODE, if that process is still a qemu of ours.
live_pid() {
  local f="$dir/$1.pid" pid
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "-name lm-$1 " || return 1
  echo "$pid"
}

cmd_up() {
  local t0=$SECONDS i name tap pid opts
  [ -f "$dir/base.img" ] || die "no image: run '$0 image' first"
  # The cluster subnet must not be one the host uses (it stays inside the bridge anyway).
  if ip -4 route show | grep -qF "$net_prefix." || ip -4 addr show | grep -qF "inet $net_prefix."; then
    die "LM_NET_PREFIX $net_prefix is in use on this host; pick another"
  fi
  local specs=()
  for i in "${!nodes[@]}"; do specs+=("${nodes[$i]}=debian=$net_prefix.$((11 + i))"); done
  LM_SECRETS_DIR="$dir/secrets" sh "$here/secrets.sh" "$(selector)" "${specs[@]}" >&2
  # The controller's known_hosts: the image's key until provision-cluster.sh installs the node's
  # pinned one (secrets/hosts/NAME), both under the forwarded endpoint.
  : > "$dir/known_hosts"
  for i in "${!nodes[@]}"; do
    read -r ktype kblob _ < "$dir/image_host_ed25519_key.pub"
    printf '[127.0.0.1]:%s %s %s\n' "$((port_base + i))" "$ktype" "$kblob" >> "$dir/known_hosts"
    read -r ktype kblob _ < "$dir/secrets/hosts/${nodes[$i]}/ssh_host_ed25519_key.pub"
    printf '[127.0.0.1]:%s %s %s\n' "$((port_base + i))" "$ktype" "$kblob" >> "$dir/known_hosts"
  done
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    echo "$bridge" >> "$dir/net.list"
  fi
  ip link set "$bridge" up
  for i in "${!nodes[@]}"; do
    name=${nodes[$i]}
    if pid=$(live_pid "$name"); then log "$name already runs (pid $pid)"; continue; fi
    tap="lmq$i"
    if ! ip link show "$tap" >/dev/null 2>&1; then
      ip tuntap add dev "$tap" mode tap
      echo "$tap" >> "$dir/net.list"
    fi
    ip link set "$tap" master "$bridge" up
    rm -f "$dir/$name.qcow2"
    qemu-img create -q -f qcow2 -b "$dir/base.img" -F raw "$dir/$name.qcow2"
    : > "$dir/$name.serial.log"
    # qemu outlives this script (-daemonize) and keeps every fd it inherits: fds 3-9 are closed
    # for it, or a caller's `flock /tmp/lm-e2e.lock` would stay held for as long as the VMs run
    # (seen: every e2e run on the machine waited half an hour).
    nice -n 10 qemu-system-x86_64 -name "lm-$name" -machine q35 -accel tcg -cpu max \
      -smp "$cpus" -m "$memory" -display none -monitor none \
      -serial "file:$dir/$name.serial.log" -daemonize -pidfile "$dir/$name.pid" \
      -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" \
      -append "root=/dev/vda rw console=ttyS0 net.ifnames=0 systemd.hostname=$name lm.addr=$net_prefix.$((11 + i))/24" \
      -drive "file=$dir/$name.qcow2,format=qcow2,if=virtio,cache=unsafe" \
      -netdev "user,id=nat,hostfwd=tcp:127.0.0.1:$((port_base + i))-:22" \
      -device "virtio-net-pci,netdev=nat,mac=52:54:00:4c:4d:$(printf '%02x' "$i")" \
      -netdev "tap,id=lan,ifname=$tap,script=no,downscript=no" \
      -device "virtio-net-pci,netdev=lan,mac=52:54:00:4c:4e:$(printf '%02x' "$i")" \
      3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
    log "$name: qemu pid $(cat "$dir/$name.pid"), ssh 127.0.0.1:$((port_base + i)), cluster $net_prefix.$((11 + i))"
  done
  # Bounded wait for every sshd.
  local deadline=$((SECONDS + boot_timeout)) tries
  for i in "${!nodes[@]}"; do
    name=${nodes[$i]}
    tries=0
    until node_ssh "$i" true 2>/dev/null; do
      tries=$((tries + 1))
      live_pid "$name" >/dev/null || die "$name: qemu exited (serial log: $dir/$name.serial.log)"
      [ "$SECONDS" -lt "$deadline" ] || die "$name: no sshd after $boot_timeout s, $tries tries (serial log: $dir/$name.serial.log)"
      sleep 5
    done
    log "$name: sshd answers after $((SECONDS - t0)) s ($tries retries)"
  done
  log "up: ${#nodes[@]} node(s) in $((SECONDS - t0)) s"
}

# What Vagrant's rsync synced folder excludes (Vagrantfile).
rsync_excludes=(--exclude=.git/ --exclude=node_modules/ --exclude=dist/ --exclude=.vagrant/ --exclude=e2e/results/
  --exclude=bench/results/ --exclude=demo/state/ --exclude=/vagrant/.secrets/)

provision_node() { # INDEX: what `vagrant up` does after boot, for one node
  local i=$1 name=${nodes[$1]} opts s t
  mapfile -t opts < <(ssh_opts "$i")
  local rsh
  rsh=$(printf '%q ' ssh "${opts[@]}")
  t=$SECONDS
  rsync -a --delete "${rsync_excludes[@]}" -e "$rsh" "$repo/" "root@127.0.0.1:$project_dir/"
  rsync -a --delete -e "$rsh" "$dir/secrets/" "root@127.0.0.1:$project_dir/vagrant/.secrets/"
  log "$name: rsync $((SECONDS - t)) s"
  # A machine whose egress goes through a TLS-inspecting proxy trusts that proxy's CA through
  # /usr/local/share/ca-certificates (and npm through cafile): the nodes get the same trust, or
  # build.sh's `npm ci` fails with SELF_SIGNED_CERT_IN_CHAIN. LM_GUEST_HOST_CA=0 skips it.
  local cas=()
  if [ "${LM_GUEST_HOST_CA:-1}" = 1 ]; then cas=(/usr/local/share/ca-certificates/*.crt); fi
  if [ "${#cas[@]}" -gt 0 ] && [ -f "${cas[0]}" ]; then
    rsync -e "$rsh" "${cas[@]}" "root@127.0.0.1:/usr/local/share/ca-certificates/"
    node_ssh "$i" 'update-ca-certificates >/dev/null && echo cafile=/etc/ssl/certs/ca-certificates.crt > /root/.npmrc'
    log "$name: the host's CA certificates trusted (${cas[*]})"
  fi
  for s in provision-debian.sh provision-cluster.sh build.sh; do
    t=$SECONDS
    # As Vagrant's shell provisioner: the script uploaded, run as root with the env exported.
    rsync -e "$rsh" "$here/$s" "root@127.0.0.1:/tmp/vagrant-shell-$s"
    node_ssh "$i" env "LM_NODE=$name" "LM_PROJECT_DIR=$project_dir" "LM_DATA_MIB=$data_mib" \
      "LM_DEBIAN_AUDITD=${LM_DEBIAN_AUDITD:-0}" sh "/tmp/vagrant-shell-$s"
    log "$name: $s $((SECONDS - t)) s"
  done
}

cmd_provision() {
  local t0=$SECONDS i pids=() failed=0
  for i in "${!nodes[@]}"; do
    provision_node "$i" > "$dir/${nodes[$i]}.provision.log" 2>&1 &
    pids+=($!)
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      log "${nodes[$i]}: provisioning FAILED (log: $dir/${nodes[$i]}.provision.log)"
      failed=1
    fi
  done
  for i in "${!nodes[@]}"; do grep 'qemu-tcg:' "$dir/${nodes[$i]}.provision.log" >&2 || true; done
  [ "$failed" = 0 ] || exit 1
  log "provision: ${#nodes[@]} node(s) in $((SECONDS - t0)) s"
}

cmd_inventory() {
  (cd "$repo" && npx tsx vagrant/qemu-inventory.ts --secrets "$dir/secrets" --port-base "$port_base" -o "$dir/inventory.yaml")
}

cmd_status() {
  local i pid
  for i in "${!nodes[@]}"; do
    if pid=$(live_pid "${nodes[$i]}"); then echo "${nodes[$i]} running pid $pid ssh 127.0.0.1:$((port_base + i))"; else echo "${nodes[$i]} stopped"; fi
  done
}

cmd_down() {
  local f name pid tries dev
  shopt -s nullglob
  for f in "$dir"/*.pid; do
    name=$(basename "$f" .pid)
    if pid=$(live_pid "$name"); then
      kill -TERM "$pid"
      tries=0
      while [ -d "/proc/$pid" ] && [ "$tries" -lt 50 ]; do sleep 0.2; tries=$((tries + 1)); done
      if [ -d "/proc/$pid" ]; then kill -KILL "$pid"; fi
      log "$name: qemu pid $pid stopped"
    fi
    rm -f "$f" "$dir/$name.qcow2"
  done
  if [ -f "$dir/net.list" ]; then
    # taps first, the bridge last
    while IFS= read -r dev; do
      if [ "$dev" != "$bridge" ] && ip link show "$dev" >/dev/null 2>&1; then ip link del "$dev"; fi
    done < "$dir/net.list"
    if grep -qx "$bridge" "$dir/net.list" && ip link show "$bridge" >/dev/null 2>&1; then ip link del "$bridge"; fi
    rm -f "$dir/net.list"
  fi
  log "down"
}

down_on_failure() {
  local rc=$?
  if [ "$rc" != 0 ] && [ "${LM_KEEP_ON_FAILURE:-0}" != 1 ]; then
    log "failed ($rc): stopping the VMs"
    cmd_down
  fi
}

case "${1:-}" in
  image) cmd_image ;;
  up) cmd_up ;;
  provision) cmd_provision ;;
  inventory) cmd_inventory ;;
  all)
    # On failure the VMs are stopped again, unless LM_KEEP_ON_FAILURE=1 (to look at them).
    trap down_on_failure EXIT
    [ -f "$dir/base.img" ] || cmd_image
    cmd_up
    cmd_provision
    cmd_inventory
    ;;
  status) cmd_status ;;
  ssh)
    [ "$#" -ge 2 ] || die "usage: $0 ssh NODE [CMD...]"
    for i in "${!nodes[@]}"; do
      if [ "${nodes[$i]}" = "$2" ]; then
        shift 2
        node_ssh "$i" "$@"
        exit
      fi
    done
    die "no node $2"
    ;;
  down) cmd_down ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' >&2; exit 2 ;;
esac
