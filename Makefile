# ocibox: one non-recursive Makefile. `make` builds ./ocibox from .config
# (config/defconfig when there is none); `make check` sets up everything and
# runs the tests; see README.md for the rest.

VERSION := 0.1.0
O ?= build/obj
KCONFIG_CONFIG ?= .config
export KCONFIG_CONFIG
SYSROOT := build/sysroot
CC := musl-gcc
OUT ?= ocibox

# Goals that only clean up or explain need neither a config nor the sysroot.
NOCONFIG_GOALS := clean distclean help
ifneq ($(filter-out $(NOCONFIG_GOALS),$(or $(MAKECMDGOALS),all)),)
-include $(KCONFIG_CONFIG)
WANT_BUILD := 1
endif

# -Oz (gcc 12+) where the compiler has it: about 4 KiB under -Os here.
OPT := $(shell $(CC) -Oz -x c -c -o /dev/null /dev/null 2>/dev/null && echo -Oz || echo -Os)
CFLAGS := -std=gnu11 $(OPT) -Wall -Wextra -Wno-unused-parameter -Wno-type-limits \
  -ffunction-sections -fdata-sections -fno-unwind-tables \
  -fno-asynchronous-unwind-tables -fno-ident -fno-pie \
  -Ilib -I$(O) -isystem $(SYSROOT)/include \
  -DOCIBOX_VERSION='"$(VERSION)"' $(EXTRA_CFLAGS)
# noseparate-code and norelro: no page padding between segments (KiBs);
# a small common page size: the data segment starts where the text ends
# in the file (the kernel maps it from the same page), not a page later.
LDFLAGS := -static -no-pie -Wl,--gc-sections -Wl,--build-id=none \
  -Wl,-z,noseparate-code -Wl,-z,norelro -Wl,-z,common-page-size=64 \
  -Wl,-Map,$(O)/ocibox.map -L$(SYSROOT)/lib $(EXTRA_LDFLAGS)

# Libraries: the core always, the rest when the config asks for them.
lib-y := lib/main.c lib/malloc.c lib/args.c lib/xfuncs.c lib/buf.c lib/json.c lib/ref.c \
  lib/fmt.c lib/config.c lib/sysinfo.c lib/digest.c lib/store.c lib/base64.c \
  lib/url.c lib/http.c lib/registry.c lib/auth.c lib/table.c lib/images.c
lib-$(CONFIG_TLS) += lib/tls.c
lib-$(CONFIG_TEMPLATE) += lib/template.c
lib-$(CONFIG_PULL) += lib/pull.c
lib-$(CONFIG_RUN) += lib/container.c lib/nsinit.c lib/caps.c lib/runtime.c lib/signame.c \
  lib/pty.c lib/create.c lib/start.c lib/logger.c
lib-$(CONFIG_CGROUPS) += lib/cgroup.c
lib-$(CONFIG_RESTART_POLICIES) += lib/policy.c
lib-$(CONFIG_PUBLISH) += lib/ports.c lib/proxy.c
lib-$(CONFIG_BRIDGE) += lib/bridge.c
lib-$(CONFIG_VOLUMES) += lib/volumes.c
lib-$(CONFIG_SECCOMP) += lib/seccomp.c
lib-$(CONFIG_ULIMITS) += lib/ulimits.c
lib-$(CONFIG_ARCHIVE) += lib/gunzip.c lib/layer.c lib/imgwrite.c lib/tartree.c \
  lib/changes.c
libs-$(CONFIG_ARCHIVE) += -larchive -lz
libs-y += -lbearssl

# applet-$(CONFIG_X) += applets/x.c, generated from the applets' own blocks
ifdef WANT_BUILD
include $(O)/generated/applets.mk
endif

SRCS := $(lib-y) $(applet-y)
OBJS := $(patsubst %.c,$(O)/%.o,$(SRCS))
GEN := $(O)/generated/config.h $(O)/generated/applets.h \
  $(O)/generated/flags.h $(O)/generated/help.h

.PHONY: all deps check demo size bench install clean distclean help \
  menuconfig oldconfig olddefconfig allnoconfig \
  allyesconfig savedefconfig randconfig FORCE

all: $(OUT)

# The dependency sysroot (musl-tools, zlib, BearSSL, libarchive from
# Debian's source packages); a second run returns at once.
deps: $(SYSROOT)/.stamp-all
$(SYSROOT)/.stamp-all: scripts/deps.sh scripts/deps.sha256
	sh scripts/deps.sh
	touch $@

$(O)/generated/applets.mk: $(wildcard applets/*.c) scripts/genapplets.sh
	@mkdir -p $(O)/generated
	sh scripts/genapplets.sh make $@

build/Kconfig.applets: $(wildcard applets/*.c) scripts/genapplets.sh
	@mkdir -p build
	sh scripts/genapplets.sh kconfig $@

# No .config yet: start from the defaults a Docker user expects; new
# applets or options since: add them with their defaults.
$(KCONFIG_CONFIG): build/Kconfig.applets Kconfig | $(SYSROOT)/.stamp-all
	@mkdir -p $(dir $@)
	if [ -f $@ ]; then kconfig-conf --olddefconfig Kconfig; \
	else kconfig-conf --defconfig=config/defconfig Kconfig; fi >/dev/null
	touch $@

$(GEN) &: $(KCONFIG_CONFIG) build/Kconfig.applets Kconfig scripts/genapplets.sh $(wildcard applets/*.c)
	sh scripts/genapplets.sh headers $(KCONFIG_CONFIG) $(O)/generated

$(O)/%.o: %.c $(GEN) lib/ocibox.h | $(SYSROOT)/.stamp-all
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(OUT): $(OBJS) $(SYSROOT)/.stamp-all
	$(CC) $(LDFLAGS) -o $(O)/ocibox.unstripped $(OBJS) $(libs-y)
	strip -s -R .comment -R .note -o $@ $(O)/ocibox.unstripped

# ---- configuration (Debian's kconfig-frontends) -------------------------
KCONF_DEPS := build/Kconfig.applets $(SYSROOT)/.stamp-all
# Every config/*defconfig file is a target of the same name; tiny_defconfig
# lists only what it wants on top of allnoconfig, so new applets stay out.
DEFCONFIGS := $(filter-out tiny_defconfig,$(notdir $(wildcard config/*defconfig)))
.PHONY: $(DEFCONFIGS) tiny_defconfig
$(DEFCONFIGS): $(KCONF_DEPS)
	kconfig-conf --defconfig=config/$@ Kconfig
tiny_defconfig: $(KCONF_DEPS)
	KCONFIG_ALLCONFIG=config/tiny_defconfig kconfig-conf --allnoconfig Kconfig
menuconfig: $(KCONF_DEPS)
	kconfig-mconf Kconfig
oldconfig olddefconfig allnoconfig allyesconfig randconfig: $(KCONF_DEPS)
	kconfig-conf --$@ Kconfig
savedefconfig: $(KCONF_DEPS)
	kconfig-conf --savedefconfig=defconfig Kconfig
	@echo "wrote ./defconfig (copy it to config/ to keep it)"

# ---- size, tests, install ----------------------------------------------
size: $(OUT)
	sh scripts/size.sh $(OUT) $(O)/ocibox.unstripped $(O)/ocibox.map

# Tests run against a defconfig build with the hidden test applets.
CHECK_O := build/check
check: deps
	sh scripts/testdeps.sh
	$(MAKE) all
	@mkdir -p $(CHECK_O)
	cp config/defconfig $(CHECK_O)/.config
	echo CONFIG_TEST_APPLETS=y >> $(CHECK_O)/.config
	KCONFIG_CONFIG=$(CHECK_O)/.config kconfig-conf --olddefconfig Kconfig >/dev/null
	$(MAKE) O=$(CHECK_O) KCONFIG_CONFIG=$(CHECK_O)/.config OUT=$(CHECK_O)/ocibox all
	bash tests/run.sh $(CHECK_O)/ocibox $(T)

# Benchmarks beside the peers (podman, skopeo, crun, conmon), on this machine
# (scripts/bench.sh; BENCH_QUICK=1 for fewer runs); docs/bench.md.
bench: deps
	$(MAKE) all
	bash scripts/bench.sh $(CURDIR)/$(OUT)

# The main job, offline: local registry, push, pull, run (scripts/demo.sh).
demo: deps
	$(MAKE) all
	sh scripts/demo.sh

PREFIX ?= /usr/local
install: $(OUT)
	install -D -m 755 $(OUT) $(DESTDIR)$(PREFIX)/bin/ocibox
	$(DESTDIR)$(PREFIX)/bin/ocibox --install -s $(DESTDIR)$(PREFIX)/bin

clean:
	rm -rf build/obj build/check build/t-* ocibox
distclean: clean
	rm -rf build .config .config.old defconfig

help:
	@echo "make            build ./ocibox from .config (config/defconfig if none)"
	@echo "make check      install what is needed, build, run every test (T=name: one file)"
	@echo "make demo       offline: a local registry, a push, a pull, a run"
	@echo "make bench      benchmarks beside podman, skopeo, crun, conmon (docs/bench.md)"
	@echo "make size       stripped size and the largest contributors"
	@echo "make defconfig | tiny_defconfig | menuconfig | oldconfig | olddefconfig"
	@echo "make allnoconfig | allyesconfig | randconfig | savedefconfig"
	@echo "make install    PREFIX=/usr/local, with links for every applet"
