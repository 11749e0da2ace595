# fixture.sh: test images, built offline and served by a real registry.
# Sourced by tests/*.test after tests/lib/registry.sh.
#
#   fixture_rootfs DIR      a tiny root: static busybox, its applet links,
#                           /etc/passwd and /etc/group with root, nobody,
#                           user (1000, also in staff 50)
#   fixture_push DIR NAME [CMD...]
#                           make DIR an image and push it to
#                           localhost:$PORT/NAME (registry_start first)

fixture_rootfs() {
  local d=$1 a
  mkdir -p "$d/bin" "$d/etc" "$d/tmp"
  cp /bin/busybox "$d/bin/" || return 1
  for a in sh echo cat ls id hostname ps mount env pwd sleep grep wc httpd wget \
    true false touch rm mkdir head tail kill printf test stat readlink ip stty tty uname; do
    ln -sf busybox "$d/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\nuser:x:1000:1000::/home/user:/bin/sh\n' > "$d/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\nuser:x:1000:\nstaff:x:50:user\n' > "$d/etc/group"
}

fixture_push() {
  local d=$1 name=$2 out
  shift 2
  out=$(mktemp -d "$TESTDIR/img.XXXXXX")
  sh "$TOP/tests/lib/mkimage.sh" "$out" t "$d" ${1:+-- "$@"} >/dev/null &&
    skopeo copy -q --dest-cert-dir "$R/pki-ca" "oci:$out:t" "docker://localhost:$PORT/$name"
}
