/**
 * The few shell programs the ssh provider runs on a host. Each is a constant text run as
 * `sh -c SCRIPT sh ARG...`: values reach it only as positional parameters, never pasted into the
 * text. POSIX sh (dash, FreeBSD sh); tools common to Linux and FreeBSD (ps -o lstart, awk, find).
 */

/**
 * Checks a host for what the harness needs; prints one problem per line on stderr and exits 1
 * when there is any. $1 project dir, $2 data dir, $3 rsync URL, $4 rsync password file.
 */
export const CHECK_HOST = `problems=0
bad() { echo "$*" >&2; problems=$((problems + 1)); }
[ -f "$1/dist/cli/main.js" ] || bad "the project is not built at $1 (no dist/cli/main.js: npm ci && npm run build there)"
command -v node >/dev/null 2>&1 || bad "node is not on PATH"
node -e 'process.exit(0)' >/dev/null 2>&1 || bad "node does not run: $(node --version 2>&1 | head -n 1)"
[ -d "$2" ] || bad "the data dir $2 does not exist"
command -v rsync >/dev/null 2>&1 || bad "rsync is not on PATH"
if [ ! -r "$4" ]; then bad "the rsync password file $4 is missing"
elif ! out=$(rsync --contimeout=5 --timeout=10 --list-only --password-file="$4" "$3" 2>&1 >/dev/null); then
  bad "the rsync daemon does not answer at $3: $(printf '%s' "$out" | tail -n 2 | tr '\\n' ' ')"
fi
[ "$(id -u)" = 0 ] || bad "not root (uid $(id -u)): the harness drives hosts as root"
[ "$problems" = 0 ]
`;

/**
 * Stops every process recorded in the spawned file $1 (lines "pid lstart", node.ts's
 * spawnBackground) that is still the same process (same start time): SIGTERM to its process
 * group, then SIGKILL after $2 rounds of 100 ms; removes the file. Prints the pids it stopped.
 */
export const STOP_SPAWNED = `f=$1 rounds=$2
[ -f "$f" ] || exit 0
norm() { tr -s ' \\t' '  ' | sed -e 's/^ //' -e 's/ $//'; }
live() { s=$(ps -o stat= -p "$1" 2>/dev/null) || return 1; case $s in *Z*|'') return 1 ;; esac; }
pids=
while read -r pid start; do
  case $pid in ''|*[!0-9]*) continue ;; esac
  now=$(ps -o lstart= -p "$pid" 2>/dev/null | norm)
  want=$(printf '%s\\n' "$start" | norm)
  if [ -n "$now" ] && [ "$now" = "$want" ]; then
    kill -s TERM -- "-$pid" 2>/dev/null || kill -s TERM "$pid" 2>/dev/null
    pids="$pids $pid"
  fi
done < "$f"
all=$pids i=0
while [ -n "$pids" ]; do
  left=
  for p in $pids; do if live "$p"; then left="$left $p"; fi; done
  pids=$left
  [ -n "$pids" ] || break
  i=$((i + 1))
  if [ "$i" -ge "$rounds" ]; then
    for p in $pids; do kill -s KILL -- "-$p" 2>/dev/null || kill -s KILL "$p" 2>/dev/null; done
    break
  fi
  sleep 0.1
done
for p in $all; do kill -s KILL -- "-$p" 2>/dev/null; done
rm -f "$f"
echo "stopped:$all"
`;

/** Removes everything inside the data dir $1 (not the dir itself). */
export const EMPTY_DIR = `[ -d "$1" ] || { echo "no directory $1" >&2; exit 1; }
find "$1" -mindepth 1 -delete`;

/**
 * Replaces the block between the lines $2 and $3 in file $1 with stdin (no block when stdin is
 * empty). Rewrites the file in place (it may be a bind mount: never renamed over).
 */
export const REPLACE_BLOCK = `block=$(cat)
[ -f "$1" ] || : > "$1"
rest=$(awk -v b="$2" -v e="$3" '$0 == b { skip = 1; next } $0 == e { skip = 0; next } !skip' "$1") || exit 1
if [ -n "$block" ]; then
  printf '%s\\n%s\\n%s\\n%s\\n' "$rest" "$2" "$block" "$3" > "$1"
else
  printf '%s\\n' "$rest" > "$1"
fi
`;

export const BLOCK_BEGIN = '# >>> livemirror e2e aliases >>>';
export const BLOCK_END = '# <<< livemirror e2e aliases <<<';
