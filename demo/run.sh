#!/usr/bin/env bash
# npm run demo: mirror demo/source to four local replicas (demo/replicas/web1..web4) and show
# changes arriving. Stop with Ctrl-C. Set DEMO_SECONDS=N to stop by itself after N seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ci/setup.sh
mkdir -p demo/source demo/replicas/web{1,2,3,4} demo/state
[ -e demo/source/index.html ] || printf '<h1>hello from livemirror</h1>\n' > demo/source/index.html

node dist/cli/main.js run --config demo/livemirror.yaml &
daemon=$!
stop() { kill -TERM "$daemon" 2>/dev/null || true; wait "$daemon" 2>/dev/null || true; }
trap stop EXIT INT TERM

# Wait for the daemon to be ready (bounded), then make a few changes and show them arriving.
for _ in $(seq 1 100); do
  node dist/cli/main.js status --socket demo/state/livemirror.sock >/dev/null 2>&1 && break
  sleep 0.1
done
show() {
  sleep 0.5
  for r in demo/replicas/web{1,2,3,4}; do printf '  %-22s %s\n' "$r:" "$(cd "$r" && find . -mindepth 1 | sort | tr '\n' ' ')"; done
}
echo; echo "demo: writing demo/source/news/today.txt"
mkdir -p demo/source/news && date > demo/source/news/today.txt && show
echo; echo "demo: renaming it to demo/source/news/archive.txt"
mv demo/source/news/today.txt demo/source/news/archive.txt && show
echo; echo "demo: now edit files under demo/source yourself; 'node dist/cli/main.js status --socket demo/state/livemirror.sock' shows the replicas. Ctrl-C stops."
node dist/cli/main.js status --socket demo/state/livemirror.sock || true
if [ -n "${DEMO_SECONDS:-}" ]; then sleep "$DEMO_SECONDS"; else wait "$daemon"; fi
