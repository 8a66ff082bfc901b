#!/usr/bin/env bash
# The containers lane: master-slave and farm-1to4 on containers clusters (the containers
# provider: testcontainers on podman's Docker-compatible API, needs root with podman; ci/setup.sh
# --tests installs podman, runc and debootstrap). First the node image (debootstrap + build,
# ~2 min cold; found by its hash in ~1 s when warm), timed on its own, then the scenarios.
# $1: a directory where the summary JSON goes (ci/test.sh adds it to the closing count; a
# failed image build counts as one failed test there). Then: nothing of the provider left on the
# machine (containers, networks, files, the podman service, exec monitors), one more counted test.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
out=${1:-/tmp}
summary="$out/containers.json"
fail() {
  printf '{"passed":0,"failed":1,"results":[{"name":"containers lane","passed":false,"durationMs":0,"figures":{},"checks":[],"error":"%s"}]}\n' "$1" > "$summary"
  echo "containers: $1" >&2
  exit 1
}
[ "$(id -u)" = 0 ] || fail "needs root (rootful podman); run npm test as root, as CI does"
command -v podman >/dev/null || [ -n "${DOCKER_HOST:-}" ] || fail "no podman and no DOCKER_HOST (bash ci/setup.sh --tests installs podman)"

t0=$SECONDS
npx tsx e2e/harness/providers/containers/build-image.ts || fail "the node image could not be built (see above)"
t1=$SECONDS
npx tsx e2e/run.ts --provider containers --summary "$summary" master-slave farm-1to4
status=$?
npx tsx e2e/harness/providers/containers/check-leftovers.ts "$out/containers-leftovers.json" || status=1
echo "containers lane: image $((t1 - t0)) s, scenarios $((SECONDS - t1)) s, total $((SECONDS - t0)) s"
exit "$status"
