# vmfs-recovery toolkit: top-level makefile.
# All build output goes below $(BUILD) (default build/); see README for targets.

VERSION     := 0.1.0
SOVERSION   := 0
PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
DATADIR     ?= $(PREFIX)/share/vmfs
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

CC          ?= cc
SANITIZE    ?= 0
ifeq ($(SANITIZE),1)
BUILD       ?= build/sanitize
SAN_FLAGS   := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD       ?= build
SAN_FLAGS   :=
endif

# The library needs blkid, uuid, fdisk, zlib, nettle, libewf and libvmdk; the
# tools add json-c.
# pkg-config runs when a recipe first needs its answer, not when this file is
# read: in `make deps demo` the packages only exist once `deps` has run. Each
# answer is computed once and kept; a failure stops the build with
# pkg-config's reason instead of compiling with an empty flag set.
LIB_PKGS    := blkid uuid fdisk zlib nettle libewf libvmdk
PKGS        := $(LIB_PKGS) json-c
pkg_config   = $(shell pkg-config $(1) 2>/dev/null)$(if $(filter 0,$(.SHELLSTATUS)),,$(error \
               pkg-config $(1) failed: $(shell pkg-config --print-errors --exists $(PKGS) 2>&1 | head -n 3) \
               (run `make deps` on Debian, or install the development packages of: $(PKGS))))
PKG_CFLAGS   = $(eval PKG_CFLAGS := $$(call pkg_config,--cflags $(PKGS)))$(PKG_CFLAGS)
PKG_LIBS     = $(eval PKG_LIBS := $$(call pkg_config,--libs $(PKGS)))$(PKG_LIBS)
LIB_LIBS     = $(eval LIB_LIBS := $$(call pkg_config,--libs $(LIB_PKGS)))$(LIB_LIBS)
# `make deps TARGET...`: every compile waits for deps (also under -j).
DEPS_FIRST  := $(filter deps,$(MAKECMDGOALS))

WARN        := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes -Wmissing-prototypes
CFLAGS      ?= -O2 -g
ALL_CFLAGS   = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) $(CFLAGS) $(SAN_FLAGS) \
               -I. $(PKG_CFLAGS) -DVMFS_VERSION='"$(VERSION)"'
ALL_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)

# The fault-injection seam (vmfs/core/fault.h) is only in the test variant below.
FAULT_SRC   := vmfs/core/fault.c
# The library's folders show its layers: core (errors, findings, framing),
# source (where bytes come from), format (decoders of on-disk structures),
# discover (what the sources hold: the spine every tool hangs from), repair,
# backup, compare, fs (the file-system layer).
LIB_SRC     := $(filter-out $(FAULT_SRC),$(sort $(wildcard vmfs/*/*.c)))
LIB_HDR     := $(sort $(wildcard vmfs/*/*.h))
# Not installed: the fault-injection seam, and the contexts shared by the
# modules of the file-system layer (vmfs/fs/internal.h) and of the comparison
# (vmfs/compare/diff_internal.h; diff.h is its interface).
PUBLIC_HDR  := $(filter-out vmfs/core/fault.h vmfs/fs/internal.h vmfs/compare/diff_internal.h,$(LIB_HDR))
LIB_OBJ     := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
COMMON_SRC  := $(sort $(wildcard tools/common/*.c))
COMMON_OBJ  := $(COMMON_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC    := $(sort $(wildcard tools/vmfs-*.c))
TOOLS       := $(TOOL_SRC:tools/%.c=$(BUILD)/bin/%)
FIX_SRC     := $(sort $(wildcard fixtures/*.c))
FIX_BIN     := $(BUILD)/fixtures/mkfixture
TEST_SRC    := $(sort $(wildcard tests/test_*.c tests/support/*.c))
TEST_OBJ    := $(TEST_SRC:%.c=$(BUILD)/obj/%.o)
TEST_BIN    := $(BUILD)/tests/unit
MANPAGES    := $(sort $(wildcard man/*.[0-9]))

STATIC_LIB  := $(BUILD)/lib/libvmfs.a
SHARED_LIB  := $(BUILD)/lib/libvmfs.so.$(VERSION)
COMMON_LIB  := $(BUILD)/lib/libvmfstools.a
FAULT_BUILD := $(BUILD)/fault
FAULT_OBJ   := $(FAULT_BUILD)/obj/vmfs/core/fileio.o $(FAULT_BUILD)/obj/vmfs/core/fault.o
FAULT_LIB   := $(FAULT_BUILD)/lib/libvmfs-fault.a
FAULT_TOOLS := $(TOOLS:$(BUILD)/bin/%=$(FAULT_BUILD)/bin/%)

# Terse output by default; V=1 shows every command.
ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-6s %s\n' $(1) $(2)
endif

.SECONDARY:

.PHONY: all lib tools fixtures tests check check-sanitize check-memory check-valgrind demo install uninstall deps clean bench lint-man

all: lib tools

lib: $(STATIC_LIB) $(SHARED_LIB)
tools: $(TOOLS)
fixtures: $(FIX_BIN)
tests: $(TEST_BIN) $(TOOLS) $(FIX_BIN) $(FAULT_TOOLS)

$(BUILD)/obj/%.o: %.c $(LIB_HDR) $(wildcard tools/common/*.h tests/support/*.h fixtures/*.h) | $(DEPS_FIRST)
	@mkdir -p $(dir $@)
	$(call msg,CC,$<)
	$(Q)$(CC) $(ALL_CFLAGS) -fPIC -c $< -o $@

$(STATIC_LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(SHARED_LIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) -shared -Wl,-soname,libvmfs.so.$(SOVERSION) $(ALL_LDFLAGS) -o $@ $^ $(LIB_LIBS)
	$(Q)ln -sf libvmfs.so.$(VERSION) $(BUILD)/lib/libvmfs.so.$(SOVERSION)
	$(Q)ln -sf libvmfs.so.$(VERSION) $(BUILD)/lib/libvmfs.so

$(COMMON_LIB): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/bin/%: $(BUILD)/obj/tools/%.o $(COMMON_LIB) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(FIX_BIN): $(FIX_SRC:%.c=$(BUILD)/obj/%.o) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

# Test variant with the fault-injection seam (vmfs/core/fault.h, tests/test_fault.c):
# only fileio.c (the seam's caller) and fault.c are compiled again, with
# -DVMFS_FAULT_INJECTION; the tools are linked again against that library into
# $(FAULT_BUILD)/bin. Nothing of it is installed.
$(FAULT_BUILD)/obj/%.o: %.c $(LIB_HDR) | $(DEPS_FIRST)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -DVMFS_FAULT_INJECTION -fPIC -c $< -o $@

$(FAULT_LIB): $(filter-out $(BUILD)/obj/vmfs/core/fileio.o,$(LIB_OBJ)) $(FAULT_OBJ)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FAULT_BUILD)/bin/%: $(BUILD)/obj/tools/%.o $(COMMON_LIB) $(FAULT_LIB)
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(TEST_BIN): $(TEST_OBJ) $(COMMON_LIB) $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcriterion

# The test run: unit tests of every library module plus command-line tests of
# the real binaries. The real-image corpus (../shared/corpus) is unpacked
# sparsely once per run into a temporary folder; tests skip when it is absent.
CORPUS_SRC  ?= ../shared/corpus
check: tests lint-man
	@BUILD=$(BUILD) CORPUS_SRC=$(CORPUS_SRC) tests/run-tests.sh $(TEST_BIN)
	@BUILD=$(BUILD) CORPUS_SRC=$(CORPUS_SRC) tests/schema-check.sh
	@BUILD=$(BUILD) CORPUS_SRC=$(CORPUS_SRC) tests/fs-crosscheck.sh
	@BUILD=$(BUILD) tests/completion-check.sh
	@BUILD=$(BUILD) SANITIZE=$(SANITIZE) SAN_FLAGS="$(SAN_FLAGS)" CC=$(CC) tests/install-check.sh

# Under ASan + UBSan: every unit and tool test and every JSON document (the
# packaging checks, completion and install, test no memory and run in
# `make check`).
check-sanitize:
	$(MAKE) SANITIZE=1 check-memory

check-memory: tests
	@BUILD=$(BUILD) CORPUS_SRC=$(CORPUS_SRC) tests/run-tests.sh $(TEST_BIN)
	@BUILD=$(BUILD) CORPUS_SRC=$(CORPUS_SRC) tests/schema-check.sh

check-valgrind: tools $(FIX_BIN)
	@BUILD=$(BUILD) CORPUS_SRC=$(CORPUS_SRC) tests/valgrind-check.sh

lint-man:
	@tests/lint-man.sh $(MANPAGES)

demo: all $(FIX_BIN)
	@BUILD=$(BUILD) tests/demo.sh

BENCH_BIN   := $(BUILD)/bench/scan-bench
$(BENCH_BIN): $(BUILD)/obj/bench/scan-bench.o $(STATIC_LIB)
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

bench: all $(FIX_BIN) $(BENCH_BIN)
	@BUILD=$(BUILD) bench/run.sh

# libFuzzer harnesses (fuzz/, tests/FUZZING.md), clang only. The library is
# compiled again with coverage and sanitizer instrumentation into its own
# folder, so the fuzz build never touches the objects of the normal build.
# `make fuzz` runs every harness for FUZZ_SECONDS; `make fuzz-regress` runs
# them once over the saved inputs of fuzz/regress/.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_BUILD   := $(BUILD)/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 $(WARN) $(CFLAGS) $(FUZZ_SAN) \
                -fsanitize=fuzzer-no-link -I. $(PKG_CFLAGS) -DVMFS_VERSION='"$(VERSION)"'
FUZZ_SRC     := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_SRC:fuzz/%.c=$(FUZZ_BUILD)/bin/%)
FUZZ_LIB     := $(FUZZ_BUILD)/lib/libvmfs-fuzz.a
FUZZ_MKSEED  := $(FUZZ_BUILD)/mkseed
FUZZ_SEEDS   := $(FUZZ_BUILD)/seeds/.done

.PHONY: fuzz fuzz-build fuzz-seeds fuzz-regress

$(FUZZ_BUILD)/obj/%.o: %.c $(LIB_HDR) fuzz/common.h | $(DEPS_FIRST)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_LIB): $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
	@mkdir -p $(dir $@)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/bin/%: $(FUZZ_BUILD)/obj/fuzz/%.o $(FUZZ_BUILD)/obj/fuzz/common.o $(FUZZ_LIB)
	@mkdir -p $(dir $@)
	$(call msg,LD,$@)
	$(Q)$(FUZZ_CC) $(LDFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIB_LIBS)

# The seed maker is a plain program on the normal library.
$(FUZZ_MKSEED): fuzz/mkseed.c $(LIB_HDR) $(STATIC_LIB) | $(DEPS_FIRST)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(STATIC_LIB) $(LIB_LIBS)

$(FUZZ_SEEDS): fuzz/seeds.sh $(FUZZ_MKSEED) $(FIX_BIN) $(TOOLS)
	$(call msg,SEEDS,$(dir $@))
	$(Q)BUILD=$(BUILD) FUZZ_BUILD=$(FUZZ_BUILD) fuzz/seeds.sh

fuzz-build: $(FUZZ_BINS)
fuzz-seeds: $(FUZZ_SEEDS)

fuzz: fuzz-build fuzz-seeds
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run.sh

fuzz-regress: fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) fuzz/run.sh --regress

# Bash completion: one copy of completion/vmfs-tools.bash per tool name, where
# bash-completion looks for it when the tool is first completed.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	    $(DESTDIR)$(COMPLETIONDIR)
	install -m 755 $(TOOLS) $(DESTDIR)$(BINDIR)/
	for t in $(notdir $(TOOLS)); do install -m 644 completion/vmfs-tools.bash $(DESTDIR)$(COMPLETIONDIR)/$$t; done
	install -m 644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/
	install -m 755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/
	ln -sf libvmfs.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libvmfs.so.$(SOVERSION)
	ln -sf libvmfs.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libvmfs.so
	for h in $(PUBLIC_HDR); do install -D -m 644 $$h $(DESTDIR)$(INCLUDEDIR)/$$h; done
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCLUDEDIR@|$(INCLUDEDIR)|; s|@VERSION@|$(VERSION)|' \
	    vmfs.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/vmfs.pc
	for page in $(MANPAGES); do \
	    sec=$${page##*.}; install -d $(DESTDIR)$(MANDIR)/man$$sec; \
	    install -m 644 $$page $(DESTDIR)$(MANDIR)/man$$sec/; done
	install -d $(DESTDIR)$(DATADIR)
	install -m 644 schema/vmfs-tools.schema.json $(DESTDIR)$(DATADIR)/

uninstall:
	for t in $(notdir $(TOOLS)); do rm -f $(DESTDIR)$(BINDIR)/$$t $(DESTDIR)$(COMPLETIONDIR)/$$t; done
	rm -f $(DESTDIR)$(LIBDIR)/libvmfs.a $(DESTDIR)$(LIBDIR)/libvmfs.so $(DESTDIR)$(LIBDIR)/libvmfs.so.$(SOVERSION) \
	      $(DESTDIR)$(LIBDIR)/libvmfs.so.$(VERSION) $(DESTDIR)$(PKGCONFIGDIR)/vmfs.pc
	rm -rf $(DESTDIR)$(INCLUDEDIR)/vmfs
	rm -f $(DESTDIR)$(DATADIR)/vmfs-tools.schema.json
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null
	for page in $(MANPAGES); do sec=$${page##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$sec/$$(basename $$page); done

# Installs everything needed on a fresh Debian machine. Safe to run twice.
DEB_PACKAGES := build-essential gcc clang make pkg-config libblkid-dev uuid-dev libfdisk-dev zlib1g-dev \
                libjson-c-dev nettle-dev libcriterion-dev vmfs-tools vmfs6-tools fdisk gdisk util-linux \
                xz-utils gzip man-db groff-base valgrind bc python3 python3-jsonschema
# mactime (The Sleuth Kit), which the tests give vmfs-ls --bodyfile.
DEB_PACKAGES += sleuthkit
# Evidence containers (vmfs/source/ewf.c, vmdk.c) and the tools the container
# tests build them with (ewfacquire, qemu-img).
DEB_PACKAGES += libewf-dev libvmdk-dev ewf-tools qemu-utils
# clang's libFuzzer and sanitizer runtimes (make fuzz): only recommended by clang.
DEB_PACKAGES += libclang-rt-dev
deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	missing=$$(for p in $(DEB_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then echo "deps: all packages already installed"; \
	else echo "deps: installing $$missing"; \
	    $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; fi

clean:
	rm -rf build
