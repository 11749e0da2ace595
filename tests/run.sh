#!/bin/bash
# run.sh: run tests/NAME.test files against a built ocibox.
#   tests/run.sh [-v] BINARY [NAME...]
# The binary and its applet links are put first on PATH, each test
# file runs in its own scratch directory, and the run ends with the line
# "N passed, N failed, N skipped"; the exit status is 1 on any failure.
set -u
VERBOSE=""
[ "${1:-}" = -v ] && { VERBOSE=1; shift; }
bin=$(readlink -f "$1") || { echo "run.sh: no binary $1" >&2; exit 1; }
shift
top=$(cd "$(dirname "$0")/.." && pwd)
OCIBOX_CONFIG=$(dirname "$bin")/.config
[ -f "$OCIBOX_CONFIG" ] || OCIBOX_CONFIG=$top/.config
export OCIBOX_CONFIG

work=$(mktemp -d /tmp/ocibox-tests.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin"
cp "$bin" "$work/bin/ocibox"
# Links for the applets, except where they would shadow a system command
# the scripts rely on (rm, kill, ps...): those are run as "ocibox NAME".
# The docker link is ours whatever the machine has.
ln -f "$work/bin/ocibox" "$work/bin/docker"
for a in $("$work/bin/ocibox" --list); do
  command -v "$a" >/dev/null 2>&1 && [ "$(command -v "$a")" != "$a" ] && continue
  ln -f "$work/bin/ocibox" "$work/bin/$a"
done
export PATH="$work/bin:$PATH" OCIBOX="$work/bin/ocibox" TOP="$top"

PASS=0 FAIL=0 SKIPPED=0
. "$top/tests/harness.sh"

if [ $# -eq 0 ]; then
  set -- $(cd "$top/tests" && ls *.test | sed 's/\.test$//')
fi
for name in "$@"; do
  file="$top/tests/$name.test"
  [ -f "$file" ] || { echo "FAIL: no test file tests/$name.test"; FAIL=$((FAIL + 1)); continue; }
  CMDNAME=$name
  TESTDIR="$work/$name"
  mkdir -p "$TESTDIR"
  noskip
  before=$((PASS + FAIL + SKIPPED))
  # Each file in a subshell-free scope, so counters add up; cd back after.
  . "$file"
  cd "$top"
  echo "$name: $((PASS + FAIL + SKIPPED - before)) tests"
done
echo "$PASS passed, $FAIL failed, $SKIPPED skipped"
[ "$FAIL" -eq 0 ]
