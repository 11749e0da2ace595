#!/bin/sh
# testdeps.sh: install the Debian packages tests/ uses as real peers and
# tools (getfattr, the registry, openssl and curl, skopeo, umoci, htpasswd,
# ip and iptables for the network tests, podman: about 15 s more with its
# crun and conmon). Already installed packages cost nothing; without root,
# tests needing a missing tool skip and say why.
set -eu
PKGS="attr docker-registry openssl curl skopeo umoci apache2-utils busybox-static iproute2 iptables podman"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "testdeps: not root, not installing:$missing (tests needing them will skip)"
  exit 0
fi
echo "testdeps: apt-get install$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
  { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; }
