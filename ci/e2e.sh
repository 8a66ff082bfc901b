#!/usr/bin/env bash
# The end-to-end lane: every scenario on its own network-namespace cluster (needs root).
# $1: a directory where the summary JSON goes (ci/test.sh adds it to the closing count).
set -uo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "e2e: the scenarios need root (network namespaces); run npm test as root, as CI does" >&2
  exit 1
fi
exec npx tsx e2e/run.ts --summary "${1:-/tmp}/e2e.json"
