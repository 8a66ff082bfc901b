#!/usr/bin/env bash
# CI lane for the VM cluster (no VM is started; these machines have no VirtualBox and no KVM):
#   1. shellcheck on every shell script in vagrant/ (and this one);
#   2. `ruby -c Vagrantfile` (syntax), and the Vagrantfile evaluated for every LM_SHAPE and a mix
#      without Vagrant (ci/vagrant-shapes.rb: every machine gets a box and an address; ~0.1 s
#      each), and an unknown LM_SHAPE refused;
#   3. `vagrant validate` for both providers the Vagrantfile configures: libvirt (the
#      vagrant-libvirt plugin checks its settings) and VirtualBox (Vagrant's built-in provider
#      checks its settings, but first wants `VBoxManage --version`: where VirtualBox is absent a
#      stub on PATH answers that one question and nothing else). ~2 s each on an idle machine.
# validate downloads no box and opens no network connection (strace: no connect(2) at all; it
# also passes under `unshare -n`); every call is bounded by `timeout` anyway. Vagrant's state
# goes to a temporary directory, not to .vagrant/ or ~/.vagrant.d.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

missing=()
for tool in shellcheck ruby vagrant; do command -v "$tool" >/dev/null || missing+=("$tool"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci/vagrant.sh: missing ${missing[*]} (bash ci/setup.sh installs them as root: apt-get install shellcheck ruby vagrant vagrant-libvirt)" >&2
  exit 1
fi

failed=0
check() {
  local what=$1
  shift
  local t0=$SECONDS out
  if out=$("$@" 2>&1); then
    echo "ok   $what ($((SECONDS - t0)) s)"
  else
    echo "FAIL $what"
    printf '%s\n' "$out" | sed 's/^/     /'
    failed=1
  fi
}

mapfile -t scripts < <(find vagrant -name '*.sh' -type f | sort)
check "shellcheck ${scripts[*]} ci/vagrant.sh" shellcheck "${scripts[@]}" ci/vagrant.sh
check "ruby -c Vagrantfile" ruby -c Vagrantfile
for shape in master-slave farm-1to4 mesh-4way large-dir faults; do
  check "Vagrantfile with LM_SHAPE=$shape" env LM_NODES= LM_SHAPE="$shape" ruby ci/vagrant-shapes.rb
done
check "Vagrantfile with LM_NODES=deb:2" env LM_SHAPE= LM_NODES=deb:2 ruby ci/vagrant-shapes.rb
check "Vagrantfile refuses an unknown LM_SHAPE" bash -c '! LM_NODES= LM_SHAPE=no-such-shape ruby ci/vagrant-shapes.rb'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
if ! command -v VBoxManage >/dev/null; then
  cat > "$tmp/bin/VBoxManage" <<'STUB'
#!/bin/sh
# ci/vagrant.sh: VirtualBox is not installed; this only lets `vagrant validate` check the VirtualBox settings.
[ "$1" = --version ] && echo 7.0.20r163906 && exit 0
echo "VBoxManage stub (ci/vagrant.sh): $*" >&2
exit 1
STUB
  chmod +x "$tmp/bin/VBoxManage"
fi

# validate PROVIDER [VAR=VALUE...]: vagrant validate with that default provider and environment.
# shellcheck disable=SC2317 # called through check/later
validate() {
  local provider=$1
  shift
  env PATH="$tmp/bin:$PATH" VAGRANT_HOME="$tmp/home" VAGRANT_DOTFILE_PATH="$tmp/dot" VAGRANT_CHECKPOINT_DISABLE=1 \
    VAGRANT_DEFAULT_PROVIDER="$provider" LM_SHAPE= LM_NODES= "$@" timeout 60 vagrant validate
}
# later WHAT CMD...: like check, but in the background, two at a time (each vagrant is ~1.5 s of
# one core, mostly Ruby loading); `report` waits for them and prints their results in order.
jobs_started=0
later() {
  local n=$((jobs_started += 1))
  while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
  (
    t0=$SECONDS
    if "${@:2}" > "$tmp/$n.out" 2>&1; then echo "ok   $1 ($((SECONDS - t0)) s)" > "$tmp/$n.res"; else echo "FAIL $1" > "$tmp/$n.res"; fi
  ) &
}
report() {
  wait
  local i
  for ((i = 1; i <= jobs_started; i++)); do
    cat "$tmp/$i.res"
    if grep -q '^FAIL' "$tmp/$i.res"; then sed 's/^/     /' "$tmp/$i.out"; failed=1; fi
  done
}

if vagrant plugin list 2>/dev/null | grep -q '^vagrant-libvirt'; then
  later "vagrant validate (libvirt, default mix)" validate libvirt
  later "vagrant validate (libvirt, LM_SHAPE=farm-1to4)" validate libvirt LM_SHAPE=farm-1to4
else
  echo "FAIL vagrant-libvirt plugin missing (apt-get install vagrant-libvirt): the libvirt settings are not checked"
  failed=1
fi
later "vagrant validate (virtualbox, default mix)" validate virtualbox
report

exit "$failed"
