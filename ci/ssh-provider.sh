#!/usr/bin/env bash
# The ssh provider's lane: netns nodes taken as existing hosts (an inventory written by
# e2e/harness/providers/ssh/netns-hosts.ts), master-slave run on them through
# `e2e/run.ts --provider ssh --inventory FILE`. Needs root (network namespaces). ~20 s.
# $1: a directory where the summary JSON goes (ci/test.sh adds it to the closing count).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=${1:-/tmp}
if [ "$(id -u)" != 0 ]; then
  echo "ssh provider lane: needs root (its hosts are network namespaces); run npm test as root, as CI does" >&2
  exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# netns-hosts holds the machine's cluster lock for the whole run (up, scenario, down).
flock /tmp/lm-e2e.lock npx tsx e2e/harness/providers/ssh/netns-hosts.ts run "$work/inventory.yaml" --summary "$out/ssh-provider.json" master-slave
