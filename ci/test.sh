#!/usr/bin/env bash
# The test command (npm test): type check, lint, unit tests, integration tests with real rsync
# and real inotify (some need root: they change inotify limits and start sshd/rsync daemons),
# then the end-to-end scenarios on network-namespace clusters (root). Prints one closing line
# "tests: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh --tests || exit 1
npm run --silent build || exit 1

results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
step() { echo; echo "== $1"; shift; "$@" || status=1; }

step "typecheck" npx tsc --noEmit -p .
step "lint" npx eslint .
step "vagrant files (shellcheck, vagrant validate)" bash ci/vagrant.sh
step "unit + integration tests" npx vitest run --reporter=default --reporter=json --outputFile="$results/vitest.json"
if [ -f ci/e2e.sh ]; then step "end-to-end scenarios" bash ci/e2e.sh "$results"; fi

node -e '
  const fs = require("fs"); const dir = process.argv[1];
  let passed = 0, failed = 0;
  for (const f of fs.readdirSync(dir)) {
    const r = JSON.parse(fs.readFileSync(dir + "/" + f, "utf8"));
    passed += r.numPassedTests ?? r.passed ?? 0; failed += r.numFailedTests ?? r.failed ?? 0;
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
' "$results"
exit $status
