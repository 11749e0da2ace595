# harness.sh: toybox-style test helpers, sourced by tests/run.sh.
#   testing "description" "command" "expected stdout" "file input" "stdin"
#   testcmd "description" "args"    "expected stdout" "file input" "stdin"
#   optional CFG, needroot, needcmd CMD, noskip: skip with a printed reason
# Counters live in PASS, FAIL and SKIPPED; $TESTDIR is the scratch dir.

SKIPWHY=""

# Skip what follows while the build lacks a config option.
optional() {
  SKIPWHY=""
  for opt in "$@"; do
    grep -q "^CONFIG_$opt=y" "$OCIBOX_CONFIG" || SKIPWHY="CONFIG_$opt not enabled"
  done
}
needroot() { [ "$(id -u)" = 0 ] || SKIPWHY="needs root"; }
needcmd() {
  for c in "$@"; do command -v "$c" >/dev/null 2>&1 || SKIPWHY="needs $c, not installed"; done
}
noskip() { SKIPWHY=""; }

testing() {
  [ $# -eq 5 ] || { echo "FAIL: $1: testing takes 5 arguments, got $#"; FAIL=$((FAIL + 1)); return 1; }
  if [ -n "$SKIPWHY" ]; then
    echo "SKIP: $CMDNAME: $1 ($SKIPWHY)"
    SKIPPED=$((SKIPPED + 1))
    return 0
  fi
  local dir="$TESTDIR/t$((PASS + FAIL + 1))"
  mkdir -p "$dir"
  printf %b "$4" > "$dir/input"
  printf %b "$3" > "$dir/expected"
  printf %b "$5" > "$dir/stdin"
  (cd "$dir" && eval "$2") < "$dir/stdin" > "$dir/actual" 2> "$dir/stderr"
  if cmp -s "$dir/expected" "$dir/actual"; then
    PASS=$((PASS + 1))
    [ -n "$VERBOSE" ] && echo "PASS: $CMDNAME: $1"
    rm -rf "$dir"
    return 0
  fi
  FAIL=$((FAIL + 1))
  echo "FAIL: $CMDNAME: $1"
  echo "  command: $2"
  diff -u "$dir/expected" "$dir/actual" | sed -n '3,$s/^/  /p' | head -40
  [ -s "$dir/stderr" ] && sed 's/^/  stderr: /' "$dir/stderr" | head -10
  return 1
}

testcmd() {
  testing "$1" "$CMDNAME $2" "$3" "$4" "$5"
}
