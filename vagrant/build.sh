#!/bin/sh
# Every node, as root: installs the project's npm packages and builds dist/ in the synced copy.
# Again after editing on the host: `vagrant rsync && vagrant provision --provision-with build`.
set -eu
: "${LM_PROJECT_DIR:?}"
cd "$LM_PROJECT_DIR"
# FreeBSD: lmdb is built by node-gyp there; the node20 package has the headers, so nothing is
# downloaded for them.
if [ -f /usr/local/include/node/node.h ]; then
  npm_config_nodedir=/usr/local
  export npm_config_nodedir
fi
# npm ci only when the packages are missing or the lock file changed (it also builds, through
# "prepare"); the build itself every time, since the sources may have changed.
if [ ! -f node_modules/.package-lock.json ] || [ -n "$(find package-lock.json -newer node_modules/.package-lock.json)" ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build
node dist/cli/main.js --help >/dev/null
echo "build: livemirror built in $LM_PROJECT_DIR ($(node --version) on $(uname -s))"
