#!/usr/bin/env bash
# The test command (npm test): type check, lint, unit tests, integration tests with real rsync
# and real inotify (some need root: they change inotify limits and start sshd/rsync daemons),
# then the end-to-end scenarios on network-namespace clusters (root), two of them on containers
# clusters (root, podman) and one through the ssh provider (root). Prints one closing line
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
step "end-to-end scenarios on containers (master-slave, farm-1to4)" bash ci/containers.sh "$results"
step "end-to-end on the ssh provider (master-slave on netns nodes taken as existing hosts)" bash ci/ssh-provider.sh "$results"

# The closing lines name every failed test (vitest's JSON and the e2e summary), so the tail of a
# red run says what failed even when only the tail is kept.
node -e '
  const fs = require("fs"); const dir = process.argv[1];
  let passed = 0, failed = 0; const names = [];
  for (const f of fs.readdirSync(dir)) {
    const r = JSON.parse(fs.readFileSync(dir + "/" + f, "utf8"));
    passed += r.numPassedTests ?? r.passed ?? 0; failed += r.numFailedTests ?? r.failed ?? 0;
    for (const file of r.testResults ?? [])
      for (const t of file.assertionResults ?? [])
        if (t.status === "failed")
          names.push(`${file.name.replace(process.cwd() + "/", "")}: ${t.fullName}: ${String(t.failureMessages?.[0] ?? "").split("\n")[0].slice(0, 300)}`);
    for (const s of r.results ?? []) if (!s.passed) names.push(`e2e ${s.name}: ${s.error ?? (s.checks ?? []).filter((c) => !c.ok).map((c) => `${c.what} (${c.detail ?? ""})`).join("; ")}`);
  }
  for (const n of names) console.log(`FAILED ${n}`);
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
' "$results"
exit $status
