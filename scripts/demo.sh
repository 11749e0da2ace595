#!/bin/sh
# demo.sh: the main job, offline: a local registry with TLS from a CA made
# here, an image pushed to it, then ocibox pulls it and runs a container
# that greets, and a detached web server it fetches a page from.
# Everything lives in build/demo; `make demo` runs this after building.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
D=$top/build/demo
PORT=${DEMO_PORT:-5000}
OCIBOX=$top/ocibox
sh "$top/scripts/testdeps.sh"

rm -rf "$D"
mkdir -p "$D/etc/certs.d/localhost:$PORT" "$D/www"
TESTDIR=$D TOP=$top
. "$top/tests/lib/registry.sh"
. "$top/tests/lib/fixture.sh"
R=$D/registry
cleanup() {
  [ -f "$D/web.id" ] && $OCIBOX --root "$D/root" --config "$D/etc/daemon.json" rm -f "$(cat "$D/web.id")" >/dev/null
  registry_stop "$R"
}
trap cleanup EXIT
echo "== a registry on localhost:$PORT (docker-registry, TLS from a CA made here)"
registry_start "$R" "$PORT"
cp "$R/pki-ca/ca.crt" "$D/etc/certs.d/localhost:$PORT/"
echo '{}' > "$D/etc/daemon.json"

echo "== an image, built offline from busybox, pushed as localhost:$PORT/demo/hello"
fixture_rootfs "$D/rootfs"
echo '<h1>hello from a container</h1>' > "$D/rootfs/index.html"
fixture_push "$D/rootfs" demo/hello:latest sh -c 'echo "Hello from ocibox: $(hostname) running $(uname -sm)"'

O="$OCIBOX --root $D/root --config $D/etc/daemon.json"
echo "== ocibox pull localhost:$PORT/demo/hello"
$O pull "localhost:$PORT/demo/hello"
echo "== ocibox run --rm localhost:$PORT/demo/hello"
$O run --rm "localhost:$PORT/demo/hello"
echo "== ocibox run -d -p 127.0.0.1:18080:80 localhost:$PORT/demo/hello httpd -f -p 80 -h /"
id=$($O run -d -p 127.0.0.1:18080:80 "localhost:$PORT/demo/hello" httpd -f -p 80 -h /)
echo "$id"
$O ps
echo "$id" > "$D/web.id"
i=0
until curl -sf http://127.0.0.1:18080/index.html; do
  i=$((i + 1))
  [ $i -lt 50 ] || { echo "demo: the web server did not answer" >&2; exit 1; }
  sleep 0.1
done
echo "== and over the bridge, at the container's own address:"
curl -sf "http://$($O inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$id")/index.html"
echo "== done: the store is in build/demo/root (an OCI layout: skopeo inspect oci:build/demo/root:localhost:$PORT/demo/hello:latest)"
