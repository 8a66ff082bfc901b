#!/bin/sh
# FreeBSD 14 node, as root (Vagrant's shell provisioner): packages, Node.js 20, kernel audit for
# the bsm-audit source, the data filesystem. The cluster part (keys, sshd, rsync daemon,
# /etc/hosts) is provision-cluster.sh. Env: LM_PROJECT_DIR, LM_DATA_MIB (size of /srv).
set -eu
: "${LM_PROJECT_DIR:?}" "${LM_DATA_MIB:?}"
export ASSUME_ALWAYS_YES=yes

# Packages are signed with FreeBSD's own keys (pkg verifies them). python3 and gmake: lmdb has
# no FreeBSD binary in its npm package, so npm builds it with node-gyp and base's clang.
pkg install -q node20 npm-node20 rsync python3 gmake
echo "node $(node --version), npm $(npm --version)"

# Kernel audit (docs/watchers/bsm-audit.md): GENERIC has `options AUDIT`, but no records come at
# all unless auditd runs. The live source sets the pipe's own classes; the trail auditd keeps in
# /var/audit gets the same ones (fc,fd,fw,fm,cl) for attributable processes and, through
# naflags, for daemons started at boot (sshd's children, the rsync daemon).
classes=fc,fd,fw,fm,cl
ac=/etc/security/audit_control
grep -q '^flags:' "$ac" || echo "flags:" >> "$ac"
grep -q '^naflags:' "$ac" || echo "naflags:" >> "$ac"
sed -i '' -e "s/^flags:.*/flags:$classes/" -e "s/^naflags:.*/naflags:$classes/" "$ac"
sysrc -q auditd_enable=YES >/dev/null
if service auditd status >/dev/null 2>&1; then audit -s; else service auditd start; fi
grep -E '^(flags|naflags):' "$ac"

# /srv on its own small UFS (a vnode-backed md device, attached at boot by rc.d/mdconfig), so
# fillDisk fills it and not the root filesystem. fstab pass 0 (fsck runs before mdconfig) and
# failok (a missing image must not stop the boot). Size fixed when made: `vagrant destroy` to change.
img=/var/lib/livemirror/data.img
unit=9
if ! mount -p | awk '$2 == "/srv" { found = 1 } END { exit !found }'; then
  install -d -m 0755 /var/lib/livemirror /srv
  fresh=0
  if [ ! -f "$img" ]; then truncate -s "${LM_DATA_MIB}m" "$img"; fresh=1; fi
  mdconfig -l -u "$unit" >/dev/null 2>&1 || mdconfig -a -t vnode -f "$img" -u "$unit"
  if [ "$fresh" = 1 ]; then newfs -U "/dev/md$unit" >/dev/null; fi
  sysrc -q "mdconfig_md$unit=-t vnode -f $img" >/dev/null
  grep -q "^/dev/md$unit " /etc/fstab || printf '/dev/md%s\t/srv\tufs\trw,failok\t0\t0\n' "$unit" >> /etc/fstab
  mount /srv
fi
install -d -m 0755 /srv/data
df -h /srv | tail -n 1

sysrc -q sshd_enable=YES rsyncd_enable=YES >/dev/null

# pf for the e2e harness's network faults (ssh provider, e2e/harness/providers/faults/pf.ts): the
# main ruleset only calls the anchor `livemirror-e2e`, which the harness fills with
# `pfctl -a livemirror-e2e -f -` (disconnect, partition) and flushes again; empty, it passes all.
pfconf=/etc/pf.conf
touch "$pfconf"
grep -qxF 'anchor "livemirror-e2e"' "$pfconf" || echo 'anchor "livemirror-e2e"' >> "$pfconf"
sysrc -q pf_enable=YES pf_rules="$pfconf" >/dev/null
kldstat -q -m pf || kldload pf
pfctl -q -f "$pfconf"
pfctl -s info | grep -q '^Status: Enabled' || pfctl -q -e
pfctl -s Anchors | grep -q 'livemirror-e2e' || echo "provision-freebsd: pf does not list the anchor livemirror-e2e" >&2

# setsid(1) for the e2e harness (node.ts spawnBackground starts processes in a session of their
# own with it; FreeBSD's base system has setsid(2) but no command). Like util-linux's: exec in a
# new session; fork first only when already a process group leader (not the harness's case).
if ! command -v setsid >/dev/null 2>&1; then
  src=$(mktemp /tmp/setsid.XXXXXX)
  mv "$src" "$src.c"
  cat > "$src.c" <<'SETSID'
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (argc < 2) { fputs("usage: setsid program [arg...]\n", stderr); return 2; }
  if (getpgrp() == getpid()) {
    pid_t p = fork();
    if (p < 0) { perror("fork"); return 1; }
    if (p > 0) return 0;
  }
  if (setsid() < 0) { perror("setsid"); return 1; }
  execvp(argv[1], argv + 1);
  perror(argv[1]);
  return 127;
}
SETSID
  cc -O2 -o /usr/local/bin/setsid "$src.c"
  rm -f "$src.c"
fi
