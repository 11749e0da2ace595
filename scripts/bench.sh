#!/bin/bash
# bench.sh: the benchmarks of issues 3, 4 and 5 (`make bench`), ocibox
# measured beside its peers in the same run, on this machine:
#
#   pull      a ~100 MB image from a loopback registry    podman pull; skopeo copy
#                                                         docker:// oci:
#   run       run --rm IMG true, the image present        crun run on a bundle of
#                                                         the same rootfs; podman run
#   exec      exec CTR true in a running container        crun exec
#   shim      idle supervisor RSS of run -d IMG sleep     conmon (over crun)
#   ps        ps with 100 running containers              crun list
#   save      save -o FILE of the ~100 MB image           podman save; skopeo copy oci:
#                                                         docker-archive:
#   load      load -i FILE of that archive                podman load; skopeo copy
#                                                         docker-archive: oci:
#
# Wall time is the median of N runs (bash's EPOCHREALTIME around the bare
# command); peak RSS is the largest of a few further runs under GNU time
# (%M). A peer that is missing or fails gets "n/a" and the reason; nothing
# aborts the whole bench. Only 127.0.0.1 is ever contacted.
#
#   bash scripts/bench.sh [OCIBOX]      (default ./ocibox; build it first)
#   BENCH_PORT=5950 BENCH_QUICK=1 ...   registry port; fewer runs
#
# Everything lives under build/bench/ (the generated fixture image is kept
# there between runs in build/bench/fixture, rebuilt when its recipe
# changes); podman too reads its configuration and keeps its storage there
# only. docs/bench.md describes the method and results.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
export LC_ALL=C
umask 022
# Nothing but loopback: no proxy may redirect a request elsewhere.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy='*' NO_PROXY='*'

top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build/bench
PORT=${BENCH_PORT:-5950}
IMG=localhost:$PORT/bench/big:latest
CS=$B/crun-state        # crun --root
BUN=$B/bundle           # crun bundle: rootfs/ plus config files
DEADLINE=$B/deadline
BT=$B/benchtime         # the timer: posix_spawn, not a fork of bash
GTIME=${BENCH_GNU_TIME:-/usr/bin/time}   # GNU time, for %M
if [ "${BENCH_QUICK:-0}" = 1 ]; then Q=1; else Q=0; fi

# ---- measuring ------------------------------------------------------------

now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

# The one watchdog: every second, if the deadline in $DEADLINE has passed,
# SIGKILL the children of the main shell (by pid), so a hung command fails
# its measurement instead of hanging the bench. It waits on a FIFO it holds
# both ends of (read -t), so it forks nothing while all is well.
watchdog() {
  local main=$1 dl p pp fifo=$DEADLINE.fifo wfd
  rm -f "$fifo" && mkfifo "$fifo" && exec {wfd}<>"$fifo" || return
  while kill -0 "$main" 2>/dev/null; do
    read -r -t 1 -u $wfd _
    read -r dl < "$DEADLINE" 2>/dev/null || continue
    [ -n "$dl" ] && [ "$EPOCHSECONDS" -gt "$dl" ] || continue
    for p in /proc/[0-9]*; do
      pp=$(sed -n 's/^PPid:[[:space:]]*//p' "$p/status" 2>/dev/null)
      [ "$pp" = "$main" ] && [ "${p#/proc/}" != "$BASHPID" ] &&
        kill -9 "${p#/proc/}" 2>/dev/null
    done
    echo $((EPOCHSECONDS + 30)) > "$DEADLINE"
  done
}
deadline() { echo $((EPOCHSECONDS + $1)) > "$DEADLINE"; }

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print int((a[NR/2]+a[NR/2+1])/2)}'; }

# Wait (at most 30 s) until the CPUs have been idle for half a second: what
# the last section left running in the background (podman's cleanup
# processes, 100 supervisors settling, the kernel tearing down namespaces)
# is not what the next measurement is about.
quiesce() {
  local i u0 n0 s0 i0 w0 u1 n1 s1 i1 w1 busy total
  for ((i = 0; i < 60; i++)); do
    read -r _ u0 n0 s0 i0 w0 _ < /proc/stat
    sleep 0.5
    read -r _ u1 n1 s1 i1 w1 _ < /proc/stat
    busy=$((u1 + n1 + s1 - u0 - n0 - s0)) total=$((busy + i1 + w1 - i0 - w0))
    [ "$total" -gt 0 ] && [ $((busy * 100 / total)) -lt 10 ] && return 0
  done
  echo "bench: the machine stayed busy (${busy:-?}/${total:-?} ticks busy); measuring anyway"
}

# measure N R BUDGET SETUP CMD...: up to N timed runs (fewer when BUDGET
# seconds are spent, at least one), then R runs under GNU time for the peak
# RSS; SETUP (a function, or :) runs untimed before each run. Sets MW (median
# wall, µs), MR (peak RSS, KiB), MN (runs), or MERR (why it failed).
measure() {
  local n=$1 r=$2 budget=$3 setup=$4 i t0 t1 rc m start
  shift 4
  local walls=()
  MW= MR= MN=0 MERR=
  deadline $((budget + 90))
  quiesce
  start=$EPOCHSECONDS
  for ((i = 0; i < n; i++)); do
    $setup >>"$B/setup.log" 2>&1 || { MERR="setup failed (build/bench/setup.log)"; return 1; }
    if [ -x "$BT" ]; then
      "$BT" "$B/wall" "$@" >"$B/out" 2>"$B/err" </dev/null
      rc=$?
      t0=0 t1=$(cat "$B/wall" 2>/dev/null)
    else
      t0=${EPOCHREALTIME/./}
      "$@" >"$B/out" 2>"$B/err" </dev/null
      rc=$?
      t1=${EPOCHREALTIME/./}
    fi
    if [ $rc != 0 ]; then
      MERR="exit $rc: $(grep -v '^$' "$B/err" | tail -n1 | cut -c1-100)"
      [ $rc = 137 ] && MERR="killed after ${budget}s+60s (hung?)"
      return 1
    fi
    walls+=($((t1 - t0)))
    [ $((EPOCHSECONDS - start)) -ge "$budget" ] && break
  done
  MN=${#walls[@]}
  MW=$(median "${walls[@]}")
  MR=0
  [ -x "$GTIME" ] || { MR=; return 0; }
  for ((i = 0; i < r; i++)); do
    $setup >>"$B/setup.log" 2>&1 || { MERR="setup failed (build/bench/setup.log)"; return 1; }
    "$GTIME" -f %M -o "$B/rss" "$@" >"$B/out" 2>"$B/err" </dev/null ||
      { MERR="exit $? under GNU time: $(tail -n1 "$B/err" | cut -c1-100)"; return 1; }
    m=$(tail -n1 "$B/rss")
    [ "$m" -gt "$MR" ] && MR=$m
  done
  return 0
}

# A store deleted just before a timed run makes that run slow: the
# deletion's discards keep the disk busy for seconds on some virtual disks
# (a pull of 20,000 files took 0.8 s or 5 s depending on it). So the resets
# only move a store aside, and the aside goes between groups of runs,
# followed by a pause for the disk to settle.
discard() { # DIR...
  local d
  mkdir -p "$B/trash" || return 1
  for d in "$@"; do
    [ -e "$d" ] || continue
    mv "$d" "$B/trash/$(basename "$d").$EPOCHREALTIME" || return 1
  done
}
empty_trash() {
  [ -d "$B/trash" ] || return 0
  rm -rf "$B/trash"
  sync
  sleep "${BENCH_SETTLE:-15}"
}

# ---- results --------------------------------------------------------------
# One line per measurement in $B/results: KEY|wall µs|rss KiB|runs|error

result() { # KEY: record the last measure
  printf '%s|%s|%s|%s|%s\n' "$1" "$MW" "$MR" "$MN" "$MERR" >> "$RESULTS"
}
fail() { # KEY REASON
  printf '%s||||%s\n' "$1" "$2" >> "$RESULTS"
}
get() { # KEY FIELD(2 wall, 3 rss, 4 runs, 5 error)
  awk -F'|' -v k="$1" -v f="$2" '$1 == k {v = $f} END {print v}' "$RESULTS"
}

fmt_wall() { # µs
  [ -n "$1" ] || { echo n/a; return; }
  awk -v u="$1" 'BEGIN { if (u >= 1e6) printf "%.2f s", u / 1e6; else if (u >= 1e4) printf "%.0f ms", u / 1e3; else printf "%.1f ms", u / 1e3 }'
}
fmt_rss() { # KiB
  [ -n "$1" ] || { echo n/a; return; }
  awk -v k="$1" 'BEGIN { if (k >= 1024) printf "%.1f MiB", k / 1024; else printf "%d KiB", k }'
}

# ---- crun, in a mount namespace of its own --------------------------------
# crun 1.8 refuses a hybrid cgroup layout (v1 controllers plus a cgroup2
# mount with a controller on it). Run with --crun-inner under
# `unshare -m`, this unmounts /sys/fs/cgroup/unified in that private
# namespace only, so crun sees plain v1; the host keeps its mounts.

hide_cgroup2() {
  [ "${HIDE_V2:-0}" = 1 ] || return 0
  umount /sys/fs/cgroup/unified
}

crun_cleanup() {
  local id
  [ -d "$CS" ] || return 0
  for id in $(crun --root "$CS" list -q 2>/dev/null); do
    crun --root "$CS" delete -f "$id" >/dev/null 2>&1
  done
}

crun_inner() {
  RESULTS=$B/results
  hide_cgroup2 || { fail crun_run "could not hide the cgroup2 mount"; return; }
  trap crun_cleanup EXIT
  local C="crun --root $CS" i id
  crun_cleanup
  # run: the bundle's own default spec (namespaces, read-only rootfs) with
  # the cgroupfs manager, then with --cgroup-manager=disabled
  measure $RUN_N 3 20 : $C run -b "$BUN" -f "$BUN/true.json" bench-run
  result crun_run
  measure $RUN_N 3 20 : $C --cgroup-manager=disabled run -b "$BUN" -f "$BUN/true.json" bench-run
  result crun_run_nocg
  # exec: into a detached container
  if $C run -d -b "$BUN" -f "$BUN/sleep.json" bench-exec </dev/null >/dev/null 2>"$B/err"; then
    measure $EXEC_N 3 20 : $C exec bench-exec true
    result crun_exec
    $C delete -f bench-exec >/dev/null 2>&1
  else
    fail crun_exec "crun run -d: $(tail -n1 "$B/err")"
  fi
  # the idle supervisor: conmon starting crun, as podman does
  if command -v conmon >/dev/null; then
    conmon_idle
  else
    fail conmon "conmon not installed"
  fi
  # list with 100 running containers
  deadline 120
  for ((i = 0; i < 100; i++)); do
    $C run -d -b "$BUN" -f "$BUN/sleep.json" "bench-ps-$i" </dev/null >/dev/null 2>"$B/err" ||
      { fail crun_list "crun run -d #$i: $(tail -n1 "$B/err")"; break; }
  done
  [ $i = 100 ] && { measure $PS_N 3 20 : $C list; result crun_list; }
  deadline 120
  crun_cleanup
}

conmon_idle() {
  local d=$B/conmon p c i=0
  rm -rf "$d" && mkdir -p "$d/exit" "$d/sock"
  # conmon runs the bundle's config.json (a copy of sleep.json); it forks
  # into the background and returns
  conmon --cid bench-conmon --cuuid bench-conmon --name bench-conmon \
    --runtime "$(command -v crun)" --runtime-arg "--root=$CS" \
    -b "$BUN" -p "$d/ctr.pid" -P "$d/conmon.pid" -l "$d/ctr.log" \
    --exit-dir "$d/exit" --socket-dir-path "$d/sock" \
    </dev/null >"$d/out" 2>&1 || { fail conmon "conmon: $(tail -n1 "$d/out")"; return; }
  # it returns before `crun create` is done: start once the pid is there
  while [ ! -s "$d/ctr.pid" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  crun --root "$CS" start bench-conmon >/dev/null 2>"$B/err" ||
    { fail conmon "crun start under conmon: $(tail -n1 "$B/err")"; return; }
  sleep 1
  p=$(cat "$d/conmon.pid" 2>/dev/null)
  c=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$p/status" 2>/dev/null)
  if [ -n "$c" ]; then MW= MR=$c MN=1 MERR=; result conmon
  else fail conmon "no conmon process"; fi
  crun --root "$CS" delete -f bench-conmon >/dev/null 2>&1
}

# ---- podman, on configuration and storage of its own ----------------------
# Podman reads only $PMC's files: overlay storage (its default as root) in
# $B/pm-STORE, file locks (not /dev/shm), no events journal, no registries
# but ours. `podman run` goes through crun, so it runs like crun above; it
# gets --network none (Debian's podman has no CNI plugins without its
# Recommends) and rlimits it may set without CAP_SYS_RESOURCE; its cgroups
# go under /ocibox-bench-podman, removed afterwards.
PMC=$B/podman-etc
PMCG=ocibox-bench-podman
pm_cmd() { # STORE: PMCMD=podman on the storage $B/pm-STORE
  local s=$B/pm-$1
  PMCMD=(env CONTAINERS_CONF="$PMC/containers.conf" CONTAINERS_STORAGE_CONF="$PMC/storage.conf"
    CONTAINERS_REGISTRIES_CONF="$PMC/registries.conf" REGISTRY_AUTH_FILE="$PMC/auth.json"
    podman --root "$s/root" --runroot "$s/run" --tmpdir "$s/tmp" --storage-driver overlay)
}
podman_inner() {
  RESULTS=$B/results
  hide_cgroup2 || { fail pm_run "could not hide the cgroup2 mount"; return; }
  local u=(--network none --ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
  pm_cmd big
  measure $RUN_N 3 30 : "${PMCMD[@]}" run --rm --cgroup-parent /$PMCG "${u[@]}" "$IMG" true
  result pm_run
  measure $RUN_N 3 30 : "${PMCMD[@]}" run --rm --cgroups=disabled "${u[@]}" "$IMG" true
  result pm_run_nocg
}
podman_cgroups_rm() { # the conmon and container cgroups podman left
  local d
  for d in /sys/fs/cgroup/*/$PMCG; do
    [ -d "$d" ] || continue
    find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null
    rmdir "$d" 2>/dev/null
  done
}

if [ "${1:-}" = --podman-inner ]; then
  DEADLINE=$B/deadline.inner
  watchdog $$ & podman_inner; kill $! 2>/dev/null
  exit 0
fi
if [ "${1:-}" = --crun-inner ]; then
  # Called by the main run below; its environment carries the settings.
  DEADLINE=$B/deadline.inner
  watchdog $$ & crun_inner; kill $! 2>/dev/null
  exit 0
fi
if [ "${1:-}" = --crun-cleanup ]; then
  hide_cgroup2; crun_cleanup; exit 0
fi

# ---- main -----------------------------------------------------------------

BIN=${1:-./ocibox}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
[ -x "$BIN" ] || { echo "bench: $BIN: not an executable (run make first)" >&2; exit 1; }
T0=$EPOCHSECONDS
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

if [ $Q = 1 ]; then RUN_N=5 EXEC_N=10 PS_N=5 BIG_N=2; else RUN_N=21 EXEC_N=31 PS_N=21 BIG_N=5; fi
export RUN_N EXEC_N PS_N BIG_N B CS BUN DEADLINE

# What the bench needs, from Debian (as root; else what is missing is n/a).
echo "== packages"
sh "$top/scripts/testdeps.sh" || echo "bench: testdeps.sh failed; going on with what is installed"
want=""
for p in time crun conmon podman; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || want="$want $p"
done
if [ -n "$want" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "bench: apt-get install$want"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends $want >/dev/null 2>&1 ||
      { apt-get update -q >/dev/null 2>&1 &&
        apt-get install -y -q --no-install-recommends $want >/dev/null 2>&1; } ||
      echo "bench: could not install$want (their measurements will say n/a)"
  else
    echo "bench: not root, not installing:$want"
  fi
fi
[ -x "$GTIME" ] || echo "bench: no GNU time at $GTIME: peak RSS will be n/a"

O=("$BIN" --root "$B/root" --config "$B/etc/daemon.json")
R=$B/registry
hybrid() { # a cgroup2 mount beside v1 with a controller on it
  grep -q ' /sys/fs/cgroup/unified cgroup2 ' /proc/mounts &&
    [ -n "$(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" ]
}
remove_containers() { # ocibox's and crun's, of this or an earlier run
  local r ids
  for r in "$B"/root "$B"/*-root; do
    [ -d "$r/containers" ] || continue
    ids=$("$BIN" --root "$r" ps -aq --no-trunc 2>/dev/null)
    [ -n "$ids" ] && "$BIN" --root "$r" rm -f $ids >/dev/null 2>&1
  done
  [ -d "$CS" ] && [ -n "$(ls -A "$CS" 2>/dev/null)" ] && command -v crun >/dev/null || return 0
  if hybrid; then
    HIDE_V2=1 unshare -m --propagation private bash "$0" --crun-cleanup
  else
    HIDE_V2=0 bash "$0" --crun-cleanup
  fi
}
stop_registry() { # ours only: the pid file may be stale
  local pid
  [ -f "$R/pid" ] || return 0
  pid=$(cat "$R/pid")
  if tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -qF "serve $R/config.yml"; then
    registry_stop "$R"
  fi
  rm -f "$R/pid"
}
cleanup() {
  trap - EXIT INT TERM
  deadline 60
  remove_containers
  podman_cgroups_rm
  stop_registry
  [ -n "${WD:-}" ] && kill "$WD" 2>/dev/null
}
. "$top/tests/lib/registry.sh"
. "$top/tests/lib/fixture.sh"
# Leftovers of an interrupted run first, then a fresh build/bench but for
# the fixture caches.
remove_containers
podman_cgroups_rm
stop_registry
mkdir -p "$B"
for f in "$B"/* ; do
  case $f in "$B/fixture" | "$B/fixture-files" | "$B/trash") continue ;; esac
  discard "$f"
done
empty_trash
${CC:-cc} -O2 -o "$BT" "$top/scripts/benchtime.c" ||
  echo "bench: no C compiler: timing around bash's fork instead (adds its cost, 2-3 ms here)"
mkdir -p "$B/etc/certs.d/localhost:$PORT" "$CS"
echo '{}' > "$B/etc/daemon.json"
RESULTS=$B/results
: > "$RESULTS"
export RESULTS
trap cleanup EXIT
trap 'exit 130' INT TERM
watchdog $$ & WD=$!

# ---- the fixture: busybox plus ~100 MB of deterministic data, 4 layers ----
# Data is AES-128-CTR of zeros under fixed keys (openssl enc): the same bytes
# on every machine, incompressible like media or binaries. Layers: the
# busybox rootfs, then three of 4 x 8 MiB + 96 x 12 KiB files each.
FIX=$B/fixture
BBSUM=$(sha256sum /bin/busybox 2>/dev/null | cut -d' ' -f1)
STAMP="fixture v1 busybox=$BBSUM mkimage=$(sha256sum "$top/tests/lib/mkimage.sh" | cut -d' ' -f1)"
gen() { # FILE BYTES SEED
  openssl enc -aes-128-ctr -nosalt \
    -K "$(printf %s "$3" | sha256sum | cut -c1-32)" -iv 00000000000000000000000000000000 \
    -in /dev/zero 2>/dev/null | head -c "$2" > "$1"
}
make_fixture() {
  local l f s=$FIX/src
  rm -rf "$FIX" && mkdir -p "$s/base"
  fixture_rootfs "$s/base" || return 1
  for l in 1 2 3; do
    mkdir -p "$s/data$l/opt/data$l/big" "$s/data$l/opt/data$l/small"
    for f in 0 1 2 3; do gen "$s/data$l/opt/data$l/big/$f.bin" 8388608 "ocibox-bench-$l-big-$f"; done
    for ((f = 0; f < 96; f++)); do gen "$s/data$l/opt/data$l/small/$f.bin" 12288 "ocibox-bench-$l-small-$f"; done
  done
  sh "$top/tests/lib/mkimage.sh" "$FIX/oci" big "$s/base" "$s/data1" "$s/data2" "$s/data3" \
    -- sh >/dev/null || return 1
  echo "$STAMP" > "$FIX/stamp"
}
echo "== fixture image (build/bench/fixture)"
deadline 300
if [ "$(cat "$FIX/stamp" 2>/dev/null)" = "$STAMP" ] && [ -f "$FIX/oci/index.json" ]; then
  echo "kept from an earlier run"
else
  s=$EPOCHSECONDS
  make_fixture || { echo "bench: could not make the fixture image" >&2; exit 1; }
  echo "made in $((EPOCHSECONDS - s)) s"
fi
MANIFEST=$(sed -n 's/.*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$FIX/oci/index.json")
SIZE=$(du -sb "$FIX/oci/blobs" | cut -f1)
echo "manifest $MANIFEST, $((SIZE / 1048576)) MiB of blobs"

echo "== registry on 127.0.0.1:$PORT, push with skopeo"
deadline 120
registry_start "$R" "$PORT" || exit 1
cp "$R/pki-ca/ca.crt" "$B/etc/certs.d/localhost:$PORT/"
push_with_ocibox() { # the layout as an OCI archive: load, tag, push
  local r=$B/push-root id ok=1
  tar -C "$FIX/oci" -cf "$B/fixture-oci.tar" . &&
    id=$("$BIN" --root "$r" load -i "$B/fixture-oci.tar" | sed -n 's/^Loaded image ID: //p') &&
    [ -n "$id" ] && "$BIN" --root "$r" tag "$id" "$IMG" &&
    "$BIN" --root "$r" --config "$B/etc/daemon.json" push -q "$IMG" >/dev/null && ok=0
  rm -rf "$r" "$B/fixture-oci.tar"
  return $ok
}
if command -v skopeo >/dev/null &&
  skopeo copy -q --insecure-policy --dest-cert-dir "$R/pki-ca" "oci:$FIX/oci:big" "docker://$IMG"; then
  :
else
  echo "bench: no skopeo push; pushing the fixture with ocibox"
  push_with_ocibox || { echo "bench: could not push the fixture" >&2; exit 1; }
fi

pm_ok=""
if command -v podman >/dev/null; then
  mkdir -p "$PMC/net"
  printf '[containers]\nlog_driver = "k8s-file"\n[network]\nnetwork_config_dir = "%s"\n[engine]\nlock_type = "file"\nevents_logger = "none"\ncgroup_manager = "cgroupfs"\n' \
    "$PMC/net" > "$PMC/containers.conf"
  # podman wants a graphroot and runroot here; --root and --runroot win
  printf '[storage]\ndriver = "overlay"\ngraphroot = "%s/root"\nrunroot = "%s/run"\n' "$B/pm-none" "$B/pm-none" > "$PMC/storage.conf"
  echo 'unqualified-search-registries = []' > "$PMC/registries.conf"
  echo '{"auths":{}}' > "$PMC/auth.json"
else
  pm_ok="podman not installed"
fi

# ---- pull (issue 3) -----------------------------------------------------
echo "== pull"
# pull_rows SUFFIX IMAGE: ocibox, skopeo and podman pull IMAGE into fresh
# stores ($B/pull-SUFFIX, skopeo-SUFFIX, pm-SUFFIX, kept for what follows),
# as ob_pull_SUFFIX, sk_pull_SUFFIX, pm_pull_SUFFIX.
pull_rows() {
  local k=$1 img=$2
  reset_pull() { discard "$B/pull-$k"; }
  reset_skopeo_pull() { discard "$B/skopeo-$k"; }
  reset_pm_pull() { discard "$B/pm-$k"; }
  empty_trash
  measure $BIG_N 2 60 reset_pull "$BIN" --root "$B/pull-$k" --config "$B/etc/daemon.json" pull "$img"
  result ob_pull_$k
  if command -v skopeo >/dev/null; then
    measure $BIG_N 2 60 reset_skopeo_pull skopeo copy -q --insecure-policy --src-cert-dir "$R/pki-ca" \
      "docker://$img" "oci:$B/skopeo-$k:t"
    result sk_pull_$k
  else fail sk_pull_$k "skopeo not installed"; fi
  discard "$B/skopeo-$k"
  if [ -z "$pm_ok" ]; then
    pm_cmd $k
    measure $BIG_N 2 60 reset_pm_pull "${PMCMD[@]}" pull -q --cert-dir "$R/pki-ca" "$img"
    result pm_pull_$k
  else fail pm_pull_$k "$pm_ok"; fi
}
pull_rows big "$IMG"
if [ -z "$pm_ok" ]; then
  pm_cmd big
  # podman's store for run and save: the last pull's, where it is (its
  # database holds its paths), or a pull now
  if ! "${PMCMD[@]}" image exists "$IMG" 2>/dev/null; then
    rm -rf "$B/pm-big"
    "${PMCMD[@]}" pull -q --cert-dir "$R/pki-ca" "$IMG" >/dev/null 2>"$B/err" ||
      pm_ok="podman pull failed: $(tail -n1 "$B/err")"
  fi
fi

# ---- pull of a 20,000-file image (issue 3) --------------------------------
# Per-file costs (headers, creates, metadata) rather than bytes: busybox
# plus 200 directories of 100 small files each, in a layer of their own.
echo "== pull, 20,000 files"
deadline 300
FIX2=$B/fixture-files IMG2=localhost:$PORT/bench/files:latest
STAMP2="fixture-files v1 busybox=$BBSUM mkimage=$(sha256sum "$top/tests/lib/mkimage.sh" | cut -d' ' -f1)"
make_fixture_files() {
  local d f s=$FIX2/src
  rm -rf "$FIX2" && mkdir -p "$s/base" || return 1
  fixture_rootfs "$s/base" || return 1
  for ((d = 0; d < 200; d++)); do
    mkdir -p "$s/files/opt/files/$d"
    for ((f = 0; f < 100; f++)); do printf 'file %d of directory %d\n' $f $d > "$s/files/opt/files/$d/$f"; done
  done
  sh "$top/tests/lib/mkimage.sh" "$FIX2/oci" files "$s/base" "$s/files" -- sh >/dev/null || return 1
  echo "$STAMP2" > "$FIX2/stamp"
}
files_ok=""
if [ "$(cat "$FIX2/stamp" 2>/dev/null)" != "$STAMP2" ] || [ ! -f "$FIX2/oci/index.json" ]; then
  make_fixture_files || files_ok="could not make the 20,000-file image"
fi
if [ -z "$files_ok" ] && ! { command -v skopeo >/dev/null &&
  skopeo copy -q --insecure-policy --dest-cert-dir "$R/pki-ca" "oci:$FIX2/oci:files" "docker://$IMG2"; }; then
  files_ok="could not push the 20,000-file image (skopeo)"
fi
if [ -z "$files_ok" ]; then
  pull_rows files "$IMG2"
  discard "$B/pull-files" "$B/pm-files" && empty_trash
else
  fail ob_pull_files "$files_ok"; fail sk_pull_files "$files_ok"; fail pm_pull_files "$files_ok"
fi

# The store the rest uses: the last pull's, or a pull now.
if [ -d "$B/pull-big" ] && "$BIN" --root "$B/pull-big" images -q "$IMG" 2>/dev/null | grep -q .; then
  mv "$B/pull-big" "$B/root"
else
  rm -rf "$B/pull-big"
  "${O[@]}" pull -q "$IMG" >/dev/null 2>"$B/err" || echo "bench: ocibox pull failed: $(tail -n1 "$B/err")"
fi

# ---- the crun bundle: the same rootfs as the image's layers ---------------
deadline 120
crun_ok=""
if ! command -v crun >/dev/null; then
  crun_ok="crun not installed"
else
  mkdir -p "$BUN/rootfs"
  for l in base data1 data2 data3; do cp -al "$FIX/src/$l/." "$BUN/rootfs/" || crun_ok="could not make the bundle"; done
  (cd "$BUN" && crun spec) || crun_ok="crun spec failed"
  if [ -z "$crun_ok" ]; then
    sed 's/"terminal": true/"terminal": false/; s/^\([[:space:]]*\)"sh"$/\1"true"/' "$BUN/config.json" > "$BUN/true.json"
    sed 's/"terminal": true/"terminal": false/; s/^\([[:space:]]*\)"sh"$/\1"sleep", "1000"/' "$BUN/config.json" > "$BUN/sleep.json"
    cp "$BUN/sleep.json" "$BUN/config.json"    # conmon runs config.json
    grep -q '"true"' "$BUN/true.json" && grep -q '"terminal": false' "$BUN/true.json" ||
      crun_ok="unexpected crun spec output"
  fi
fi
CRUN_NOTE=""
HIDE_V2=0
if [ -z "$crun_ok" ]; then
  if crun --root "$CS" run -b "$BUN" -f "$BUN/true.json" bench-probe </dev/null >/dev/null 2>"$B/err"; then
    :
  else
    msg=$(tail -n1 "$B/err")
    crun --root "$CS" delete -f bench-probe >/dev/null 2>&1
    if crun --root "$CS" --cgroup-manager=disabled run -b "$BUN" -f "$BUN/true.json" bench-probe \
      </dev/null >/dev/null 2>&1; then
      nocg="works"
    else nocg="refuses too"; fi
    if hybrid && command -v unshare >/dev/null; then
      HIDE_V2=1
      CRUN_NOTE="crun $(crun --version | sed -n 's/^crun version //p') refuses this host's hybrid cgroups: \"$msg\"
  (with --cgroup-manager=disabled: $nocg). So crun is measured in a mount namespace of its own
  where /sys/fs/cgroup/unified is unmounted and crun sees cgroup v1 alone; the host is unchanged."
    else
      crun_ok="crun fails: $msg"
    fi
  fi
fi
export HIDE_V2

# ---- run, exec, idle shim, ps (issue 4) ---------------------------------
echo "== run --rm IMG true"
measure $RUN_N 3 30 : "${O[@]}" run --rm "$IMG" true
result ob_run
measure $RUN_N 3 30 : "${O[@]}" run --rm --network none "$IMG" true
result ob_run_nonet

echo "== exec"
deadline 60
if cid=$("${O[@]}" run -d "$IMG" sleep 1000 2>"$B/err"); then
  measure $EXEC_N 3 20 : "${O[@]}" exec "$cid" true
  result ob_exec
  "${O[@]}" rm -f "$cid" >/dev/null 2>&1
else
  fail ob_exec "run -d: $(tail -n1 "$B/err")"
fi

echo "== 100 x run -d IMG sleep 1000: idle supervisors, ps"
deadline 120
n=0 cids=()
for ((i = 0; i < 100; i++)); do
  cid=$("${O[@]}" run -d "$IMG" sleep 1000 2>"$B/err") || break
  cids+=("$cid")
  n=$((n + 1))
done
# The supervisors' RSS once idle: the median over every container's ShimPid
# (with its logger)
sleep 1
rss=()
for cid in "${cids[@]}"; do
  # the supervisor and its helpers (the json-file logger; a port proxy),
  # as conmon does all of it in one process: not the container itself
  st=$(cat "$B/root/containers/$cid/state.json" 2>/dev/null)
  shim=$(sed -n 's/.*"ShimPid":\([0-9]*\).*/\1/p' <<< "$st") cpid=$(sed -n 's/.*"Pid":\([0-9]*\).*/\1/p' <<< "$st")
  r=0
  for p in ${shim:-0} $(cat /proc/${shim:-0}/task/*/children 2>/dev/null); do
    [ "$p" = "$cpid" ] && continue
    v=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$p/status" 2>/dev/null)
    r=$((r + ${v:-0}))
  done
  [ "$r" -gt 0 ] && rss+=("$r")
done
if [ ${#rss[@]} -gt 0 ]; then
  MW= MR=$(median "${rss[@]}") MN=${#rss[@]} MERR=; result ob_shim
  SHIM_RANGE="$(printf '%s\n' "${rss[@]}" | sort -n | sed -n '1p;$p' | paste -sd- -) KiB"
else
  fail ob_shim "no supervisor process found (run -d: $(tail -n1 "$B/err"))"
fi
if [ $n = 100 ]; then
  measure $PS_N 3 20 : "${O[@]}" ps
  result ob_ps
  [ "$(grep -c 'sleep 1000' "$B/out")" = 100 ] || fail ob_ps "ps listed $(grep -c 'sleep 1000' "$B/out") of 100"
else
  fail ob_ps "run -d #$n failed: $(tail -n1 "$B/err")"
fi
deadline 120
ids=$("${O[@]}" ps -aq --no-trunc 2>/dev/null)
[ -n "$ids" ] && "${O[@]}" rm -f $ids >/dev/null 2>&1

echo "== crun: run, exec, conmon, list"
if [ -n "$crun_ok" ]; then
  for k in crun_run crun_run_nocg crun_exec crun_list conmon; do fail $k "$crun_ok"; done
else
  deadline 400
  if [ $HIDE_V2 = 1 ]; then
    unshare -m --propagation private bash "$0" --crun-inner
  else
    bash "$0" --crun-inner
  fi
  for k in crun_run crun_run_nocg crun_exec crun_list conmon; do
    grep -q "^$k|" "$RESULTS" || fail $k "no result (see above)"
  done
fi

# podman last of the run rows: what its runs leave behind (cleanup
# processes, a slower kernel for a while) would otherwise be measured in
# the exec, ps and crun rows after it.
echo "== podman run --rm --network none IMG true"
if [ -n "$pm_ok" ]; then
  fail pm_run "$pm_ok"; fail pm_run_nocg "$pm_ok"
else
  deadline 200
  if hybrid && command -v unshare >/dev/null; then
    HIDE_V2=1 unshare -m --propagation private bash "$0" --podman-inner
  else
    HIDE_V2=0 bash "$0" --podman-inner
  fi
  podman_cgroups_rm
  for k in pm_run pm_run_nocg; do
    grep -q "^$k|" "$RESULTS" || fail $k "no result (see above)"
  done
fi


# ---- save / load (issue 5) ----------------------------------------------
echo "== save, load"
reset_save() { rm -f "$B/ob.tar"; }
reset_sk_save() { rm -f "$B/sk.tar"; }
measure $BIG_N 2 60 reset_save "${O[@]}" save -o "$B/ob.tar" "$IMG"
result ob_save
if command -v skopeo >/dev/null; then
  measure $BIG_N 2 60 reset_sk_save skopeo copy -q --insecure-policy \
    "oci:$B/root:$IMG" "docker-archive:$B/sk.tar:bench/big:latest"
  result sk_save
else fail sk_save "skopeo not installed"; fi
if [ -z "$pm_ok" ]; then
  reset_pm_save() { rm -f "$B/pm.tar"; }
  pm_cmd big
  measure $BIG_N 2 60 reset_pm_save "${PMCMD[@]}" save -q -o "$B/pm.tar" "$IMG"
  result pm_save
else fail pm_save "$pm_ok"; fi
# Both load the same archive: ocibox's own save (or else skopeo's).
ARCH=$B/ob.tar
[ -s "$ARCH" ] || ARCH=$B/sk.tar
if [ -s "$ARCH" ]; then
  reset_load() { discard "$B/load-root"; }
  reset_sk_load() { discard "$B/skopeo-load"; }
  empty_trash
  measure $BIG_N 2 60 reset_load "$BIN" --root "$B/load-root" --config "$B/etc/daemon.json" load -q -i "$ARCH"
  result ob_load
  if command -v skopeo >/dev/null; then
    measure $BIG_N 2 60 reset_sk_load skopeo copy -q --insecure-policy \
      "docker-archive:$ARCH" "oci:$B/skopeo-load:big"
    result sk_load
  else fail sk_load "skopeo not installed"; fi
  if [ -z "$pm_ok" ]; then
    reset_pm_load() { discard "$B/pm-load"; }
    pm_cmd load
    measure $BIG_N 2 60 reset_pm_load "${PMCMD[@]}" load -q -i "$ARCH"
    result pm_load
  else fail pm_load "$pm_ok"; fi
  rm -rf "$B/skopeo-load" "$B/load-root" "$B/pm-load" "$B/trash"
else
  fail ob_load "no archive to load (both saves failed)"
  fail sk_load "no archive to load (both saves failed)"
  fail pm_load "no archive to load (both saves failed)"
fi
rm -rf "$B/ob.tar" "$B/sk.tar" "$B/pm.tar" "$B/pm-big"

# ---- the table -------------------------------------------------------------
# ROW NAME OB_KEY PEER_LABEL PEER_KEY TARGET_KIND TARGET_TEXT
#   kinds: ratio:X (ocibox wall <= X x peer), abs:MS (ocibox wall <= MS),
#   rss:KIB (ocibox RSS <= KIB), and comma-separated combinations
rows=()
row() { rows+=("$*"); }
holds() { # KINDS OB_KEY PEER_KEY: yes, no (what), n/a (what)[; what yes]
  local kinds=$1 ow orss pw k v w res no="" na="" yes=""
  [ "$kinds" = - ] && { echo -; return; }
  ow=$(get "$2" 2) orss=$(get "$2" 3) pw=$(get "$3" 2)
  for k in ${kinds//,/ }; do
    v=${k#*:} w=wall res=na
    case $k in
      ratio:*) [ -n "$ow" ] && [ -n "$pw" ] && { res=no
          awk -v a="$ow" -v b="$pw" -v x="$v" 'BEGIN {exit !(a <= x * b)}' && res=yes; } ;;
      abs:*) [ -n "$ow" ] && { res=no; [ "$ow" -le $((v * 1000)) ] && res=yes; } ;;
      rss:*) w=RSS; [ -n "$orss" ] && { res=no; [ "$orss" -le "$v" ] && res=yes; } ;;
    esac
    case $res in yes) yes="$yes, $w" ;; no) no="$no, $w" ;; *) na="$na, $w" ;; esac
  done
  if [ -n "$no" ]; then echo "no (${no#, })"
  elif [ -n "$na" ] && [ -n "$yes" ]; then echo "n/a (${na#, }); ${yes#, } yes"
  elif [ -n "$na" ]; then echo n/a
  else echo yes; fi
}
ratio() { # OB_KEY PEER_KEY WALL|RSS
  local f=2 a b
  [ "$3" = RSS ] && f=3
  a=$(get "$1" $f) b=$(get "$2" $f)
  [ -n "$a" ] && [ -n "$b" ] && [ "$b" != 0 ] || { echo n/a; return; }
  awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}'
}

T1=$EPOCHSECONDS
echo
echo "ocibox $("$BIN" version 2>/dev/null | sed -n 's/^ *Version: *//p') bench on $(uname -sr), $(nproc) cores, load average $LOAD0 at start, $(cut -d' ' -f1-3 /proc/loadavg) at end"
echo "fixture: $IMG = $MANIFEST ($((SIZE / 1048576)) MiB, 4 layers)"
echo "wall: median of n runs; RSS: peak (GNU time %M, largest of 2-3 runs), for idle supervisors VmRSS"
fmt='%-16s %4s  %-8s %-8s  %-33s %-8s %-8s  %5s  %-31s %s\n'
printf "$fmt" benchmark n ocibox "RSS" peer "wall" "RSS" ratio "target (issue)" holds
printf "$fmt" --------- - ------ --- ---- ---- --- ----- -------------- -----
line() { # NAME OB_KEY PEER_LABEL PEER_KEY KINDS TARGET_TEXT [RSS]
  local ow orss pw prss n r
  ow=$(fmt_wall "$(get "$2" 2)") orss=$(fmt_rss "$(get "$2" 3)")
  [ "${7:-}" = RSS ] && ow=-
  if [ -n "$4" ]; then
    pw=$(fmt_wall "$(get "$4" 2)") prss=$(fmt_rss "$(get "$4" 3)")
    [ "${7:-}" = RSS ] && pw=-
    r=$(ratio "$2" "$4" "${7:-WALL}")
  else pw=- prss=- r=-; fi
  n=$(get "$2" 4)
  printf "$fmt" "$1" "${n:--}" "$ow" "$orss" "$3" "$pw" "$prss" "$r" "$6" "$(holds "$5" "$2" "$4")"
}
line "pull 100MB" ob_pull_big "podman pull" pm_pull_big ratio:0.6,rss:8192 "wall<=0.6x podman, RSS<=8MiB"
line "pull 100MB" ob_pull_big "skopeo copy docker:// oci:" sk_pull_big - "(reference)"
line "pull 20k files" ob_pull_files "podman pull" pm_pull_files ratio:0.6,rss:8192 "wall<=0.6x podman, RSS<=8MiB"
line "pull 20k files" ob_pull_files "skopeo copy docker:// oci:" sk_pull_files - "(reference)"
line "run --rm true" ob_run "crun run (cgroupfs)" crun_run ratio:0.8 "wall<=0.8x crun"
line "run --rm true" ob_run "crun run (cgroup manager off)" crun_run_nocg ratio:0.8 "wall<=0.8x crun"
line "run --net none" ob_run_nonet "podman run --network none" pm_run - "(reference)"
line "run --net none" ob_run_nonet "podman run, --cgroups=disabled" pm_run_nocg - "(reference)"
line "exec true" ob_exec "crun exec" crun_exec abs:5 "wall<=5ms"
line "idle supervisor" ob_shim "conmon (idle, over crun)" conmon rss:256 "RSS<=256KiB" RSS
line "ps, 100 running" ob_ps "crun list (100 running)" crun_list abs:20 "wall<=20ms"
line "save 100MB" ob_save "skopeo copy oci: docker-archive:" sk_save ratio:1,rss:8192 "faster, RSS<=8MiB"
line "save 100MB" ob_save "podman save (docker-archive)" pm_save ratio:1,rss:8192 "faster, RSS<=8MiB"
line "load 100MB" ob_load "skopeo copy docker-archive: oci:" sk_load ratio:1,rss:8192 "faster, RSS<=8MiB"
line "load 100MB" ob_load "podman load" pm_load ratio:1,rss:8192 "faster, RSS<=8MiB"
echo
echo "* ratio = ocibox / peer: wall, or RSS for the supervisor. Wall includes the command's fork+exec."
echo "* pull, load: skopeo only writes blobs to an OCI layout; ocibox and podman also unpack every layer"
echo "  into their stores (podman: overlay, its default as root)."
echo "* podman $(podman --version 2>/dev/null | sed 's/^podman version //'): configuration and storage under build/bench (overlay, file locks, no"
echo "  events journal). podman run: --network none (Debian's podman has no CNI plugins without its"
echo "  Recommends), so ocibox beside it is timed with --network none too; --ulimit nofile=20000 and"
echo "  nproc=32768 (podman's defaults need CAP_SYS_RESOURCE); on hybrid cgroups, in the same kind of"
echo "  mount namespace as crun below (it runs crun); its cgroups under /$PMCG, removed after."
[ -n "${SHIM_RANGE:-}" ] && echo "* idle supervisor: median of $(get ob_shim 4) shims; range $SHIM_RANGE."
[ -n "$CRUN_NOTE" ] && echo "* $CRUN_NOTE"
awk -F'|' '$5 != "" {print "* n/a " $1 ": " $5}' "$RESULTS"
echo "total: $((T1 - T0)) s"
