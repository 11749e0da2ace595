#!/bin/sh
# mkimage.sh: build an OCI image layout offline from directories, one layer
# per directory, for test fixtures and the demo (no registry, no network).
#   mkimage.sh OUT REF DIR... [-- CMD...]
# OUT becomes an OCI image layout holding one image named REF (its
# org.opencontainers.image.ref.name); push it with
# `skopeo copy oci:OUT:REF docker://HOST/NAME:TAG`. Tars are reproducible:
# sorted names, mtime 0, uid/gid 0, gzip -n.
# Environment, all optional (unset: the defaults below):
#   MKIMAGE_CREATED  the image's creation time (2024-01-01T00:00:00Z)
#   MKIMAGE_CONFIG   more members for the config's "config" object, JSON
#                    without braces: '"ExposedPorts":{"80/tcp":{}}'
#   MKIMAGE_CACHE    a directory keeping gzipped layers by their diff ID, so
#                    that a layer shared by many images is compressed once
set -eu
created=${MKIMAGE_CREATED:-2024-01-01T00:00:00Z}
extra=${MKIMAGE_CONFIG:+,$MKIMAGE_CONFIG}
out=$1 ref=$2
shift 2
mkdir -p "$out/blobs/sha256"
layers="" diffs="" cmd='["sh"]'
blob() { # FILE → moves it to blobs/sha256/<hex>, prints hex
  h=$(sha256sum "$1" | cut -d' ' -f1)
  mv "$1" "$out/blobs/sha256/$h"
  echo "$h"
}
while [ $# -gt 0 ]; do
  if [ "$1" = -- ]; then
    shift
    cmd="[$(for a in "$@"; do printf '"%s",' "$(printf %s "$a" | sed 's/[\\"]/\\&/g')"; done | sed 's/,$//')]"
    break
  fi
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=pax \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$1" -cf "$out/layer.tar" .
  diff=$(sha256sum "$out/layer.tar" | cut -d' ' -f1)
  if [ -n "${MKIMAGE_CACHE:-}" ] && [ -f "$MKIMAGE_CACHE/$diff.gz" ]; then
    cp "$MKIMAGE_CACHE/$diff.gz" "$out/layer.tar.gz"
    rm "$out/layer.tar"
  else
    gzip -n -9 "$out/layer.tar"
    if [ -n "${MKIMAGE_CACHE:-}" ]; then
      mkdir -p "$MKIMAGE_CACHE"
      cp "$out/layer.tar.gz" "$MKIMAGE_CACHE/$diff.gz.$$" && mv "$MKIMAGE_CACHE/$diff.gz.$$" "$MKIMAGE_CACHE/$diff.gz"
    fi
  fi
  size=$(stat -c %s "$out/layer.tar.gz")
  h=$(blob "$out/layer.tar.gz")
  layers="$layers${layers:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$h\",\"size\":$size}"
  diffs="$diffs${diffs:+,}\"sha256:$diff\""
  shift
done
arch=$(uname -m | sed 's/x86_64/amd64/;s/aarch64/arm64/')
printf '{"created":"%s","architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":%s%s},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[{"created":"%s","created_by":"mkimage.sh"}]}' \
  "$created" "$arch" "$cmd" "$extra" "$diffs" "$created" > "$out/config.json"
csize=$(stat -c %s "$out/config.json")
c=$(blob "$out/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
  "$c" "$csize" "$layers" > "$out/manifest.json"
msize=$(stat -c %s "$out/manifest.json")
m=$(blob "$out/manifest.json")
printf '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
  "$m" "$msize" "$ref" > "$out/index.json"
echo "sha256:$c"
