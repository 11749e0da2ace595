#!/bin/sh
# deps.sh: build the private static sysroot ocibox links against.
#
#   sh scripts/deps.sh            install build tools, fetch, verify, build
#   sh scripts/deps.sh --hashes   print sha256 lines for the fetched sources
#
# zlib, BearSSL and libarchive come from Debian's source packages, fetched
# with `apt-get source` through a private sources list (deb-src entries
# derived from the machine's own deb entries), checked against the sha256
# pinned in scripts/deps.sha256, and built with musl-gcc -Os and
# function/data sections into build/sysroot. Each part leaves a stamp, so a
# second run does nothing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
B=$top/build
SYSROOT=$B/sysroot
SRC=$B/src
APT=$B/apt
PINS=$top/scripts/deps.sha256
JOBS=$(nproc 2>/dev/null || echo 2)
OPT="-Os -ffunction-sections -fdata-sections -fno-unwind-tables -fno-asynchronous-unwind-tables"

say() { echo "deps: $*"; }
die() { echo "deps: $*" >&2; exit 1; }

# ---- build tools from Debian ----------------------------------------------
need_pkgs() {
  missing=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
      missing="$missing $p"
  done
  [ -z "$missing" ] && return 0
  [ "$(id -u)" = 0 ] || die "need root to install:$missing"
  say "apt-get install$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q --no-install-recommends $missing >/dev/null ||
    { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends $missing >/dev/null; } ||
    die "apt-get install$missing failed"
}

# ---- a private apt configuration with deb-src lines ----------------------
# Derived from the machine's deb lines, so whatever mirror it uses is used.
apt_private() {
  [ -f "$APT/.stamp" ] && return 0
  mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources.list.d"
  : >"$APT/sources.list"
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    sed 's/^Types:.*/Types: deb-src/' "$f" >"$APT/sources.list.d/$(basename "$f")"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$f" >>"$APT/sources.list"
  done
  apt-get $APTOPTS update -q >/dev/null || die "apt-get update (deb-src) failed"
  touch "$APT/.stamp"
}

APTOPTS="-o Dir::Etc::SourceList=$APT/sources.list \
 -o Dir::Etc::SourceParts=$APT/sources.list.d \
 -o Dir::State::Lists=$APT/lists -o Dir::Cache=$APT/cache \
 -o APT::Sandbox::User=root"

# fetch PKG VERSION: download the source package into $SRC/dl and verify
# every file of it against the pins, then unpack it into $SRC/PKG.
fetch() {
  pkg=$1 ver=$2
  [ -f "$SRC/$pkg/.stamp-unpacked" ] && return 0
  apt_private
  mkdir -p "$SRC/dl"
  (cd "$SRC/dl" && apt-get $APTOPTS source --download-only -q "$pkg=$ver" >/dev/null) ||
    die "apt-get source $pkg=$ver failed"
  uver=${ver#*:}
  dsc="${pkg}_${uver}.dsc"
  [ -f "$SRC/dl/$dsc" ] || die "no $dsc after apt-get source"
  files="$dsc $(awk '/^Files:/{f=1;next} /^[^ ]/{f=0} f{print $3}' "$SRC/dl/$dsc")"
  for f in $files; do
    want=$(awk -v f="$f" '$2 == f {print $1}' "$PINS")
    [ -n "$want" ] || die "$f is not pinned in scripts/deps.sha256"
    got=$(sha256sum "$SRC/dl/$f" | cut -d' ' -f1)
    [ "$got" = "$want" ] ||
      die "sha256 mismatch for $f: got $got, pinned $want (scripts/deps.sha256)"
  done
  rm -rf "$SRC/$pkg"
  dpkg-source -q --no-check -x "$SRC/dl/$dsc" "$SRC/$pkg" >/dev/null 2>&1 ||
    die "dpkg-source -x $dsc failed"
  touch "$SRC/$pkg/.stamp-unpacked"
}

# ---- the libraries ------------------------------------------------------
build_zlib() {
  # the stamp names the flags: a change of them rebuilds
  [ -f "$SYSROOT/.stamp-zlib-dyncrc" ] && return 0
  fetch zlib 1:1.2.13.dfsg-1
  say "building zlib"
  (cd "$SRC/zlib" && make distclean >/dev/null 2>&1 || true
   # DYNAMIC_CRC_TABLE: crc32's 8 KiB of tables made at run time, not stored
   CC=musl-gcc CFLAGS="$OPT -DDYNAMIC_CRC_TABLE" ./configure --static --prefix="$SYSROOT" >/dev/null &&
   make -j"$JOBS" libz.a >/dev/null && make install >/dev/null) ||
    die "zlib build failed"
  touch "$SYSROOT/.stamp-zlib-dyncrc"
}

build_bearssl() {
  [ -f "$SYSROOT/.stamp-bearssl" ] && return 0
  fetch bearssl 0.6+dfsg.1-3
  say "building BearSSL"
  (cd "$SRC/bearssl" &&
   make -j"$JOBS" CC=musl-gcc CFLAGS="-W -Wall $OPT" build/libbearssl.a >/dev/null) ||
    die "BearSSL build failed"
  mkdir -p "$SYSROOT/lib" "$SYSROOT/include"
  cp "$SRC/bearssl/build/libbearssl.a" "$SYSROOT/lib/"
  cp "$SRC/bearssl/inc/"*.h "$SYSROOT/include/"
  touch "$SYSROOT/.stamp-bearssl"
}

build_libarchive() {
  [ -f "$SYSROOT/.stamp-libarchive.2" ] && return 0
  fetch libarchive 3.6.2-1+deb12u5
  say "building libarchive (tar + gzip only)"
  # Names pass through unnormalised, as Docker's Go tar leaves them: the
  # Unicode NFC/NFD converters copy instead, and their 22 KiB of tables
  # drop out of the binary (ocibox sets no locale, so they would only
  # rewrite names Docker keeps byte for byte).
  f=$SRC/libarchive/libarchive/archive_string.c
  grep -q 'ocibox: no normalisation' "$f" ||
    sed -i '/^archive_string_normalize_[CD](struct archive_string \*as, const void \*_p,$/{
n;n;s|^{$|{ /* ocibox: no normalisation */\n\treturn archive_string_append_unicode(as, _p, len, sc);|}' "$f"
  [ "$(grep -c 'ocibox: no normalisation' "$f")" = 2 ] || die "libarchive: archive_string.c not as expected"
  # Debian's patches touch configure.ac and Makefile.am only for the test
  # suite and iconv, which this build leaves out: keep the shipped autotools
  # output instead of needing automake (make would try to regenerate it).
  (cd "$SRC/libarchive" && touch aclocal.m4 && sleep 1 &&
   touch configure Makefile.in config.h.in &&
   CC=musl-gcc CFLAGS="$OPT" CPPFLAGS="-I$SYSROOT/include" LDFLAGS="-L$SYSROOT/lib" \
   ./configure -q --prefix="$SYSROOT" --disable-shared --enable-static \
     --disable-bsdtar --disable-bsdcpio --disable-bsdcat \
     --disable-acl --enable-xattr --without-xml2 --without-expat --without-lzma \
     --without-bz2lib --without-zstd --without-lz4 --without-lzo2 --without-openssl \
     --without-nettle --without-mbedtls --without-cng --without-iconv \
     --without-libb2 --with-zlib >/dev/null &&
   make -j"$JOBS" libarchive.la >/dev/null &&
   make install-libLTLIBRARIES install-includeHEADERS >/dev/null) ||
    die "libarchive build failed"
  rm -f "$SYSROOT"/lib/*.la
  touch "$SYSROOT/.stamp-libarchive.2"
}

# Kernel UAPI headers (netlink, seccomp, capabilities...) for musl-gcc,
# which does not look in /usr/include.
copy_uapi() {
  [ -f "$SYSROOT/.stamp-uapi" ] && return 0
  mkdir -p "$SYSROOT/include"
  multi=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
  [ -d /usr/include/linux ] || die "no /usr/include/linux (linux-libc-dev)"
  cp -r /usr/include/linux /usr/include/asm-generic "$SYSROOT/include/"
  rm -rf "$SYSROOT/include/asm"
  cp -r "/usr/include/$multi/asm" "$SYSROOT/include/asm"
  touch "$SYSROOT/.stamp-uapi"
}

if [ "${1:-}" = --hashes ]; then
  cd "$SRC/dl" && sha256sum *.dsc *.tar.* | sed 's/  / /'
  exit 0
fi

need_pkgs musl-tools kconfig-frontends-nox dpkg-dev make file xz-utils \
  linux-libc-dev gcc binutils
mkdir -p "$SYSROOT/lib" "$SYSROOT/include"
copy_uapi
build_zlib
build_bearssl
build_libarchive
say "sysroot ready in build/sysroot"
