# stopwatch: `make` builds for this machine, `make ARCH=arm64` cross-builds a
# static arm64 binary for the arm64 guest, `make check` runs every test.
ARCH ?= $(shell uname -m | sed -e 's/aarch64/arm64/')
ifeq ($(ARCH),arm64)
  BPF_ARCH := arm64
  CC := aarch64-linux-gnu-gcc
  LIBDIR := /usr/lib/aarch64-linux-gnu
else ifeq ($(ARCH),x86_64)
  BPF_ARCH := x86
  CC ?= gcc
  LIBDIR := /usr/lib/x86_64-linux-gnu
else
  $(error ARCH must be x86_64 or arm64)
endif

OUT := build/$(ARCH)
CLANG ?= clang
LLVM_STRIP ?= llvm-strip
BPFTOOL ?= bpftool
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	  -D_GNU_SOURCE -DSTOPWATCH_VERSION='"$(VERSION)"' -I$(OUT) -Iuser -Ibpf \
	  -I/usr/include/tracefs -I/usr/include/traceevent
# Static: the same binary runs in the busybox guests with no libraries.
LDFLAGS += -static -L$(LIBDIR)
# libtracefs/libtraceevent: the persistent trace instance (user/trace.c)
# libjson-c: the one JSON writer (user/json.c)
LDLIBS := -ltracefs -ltraceevent -ljson-c -lbpf -lelf -lz -lm -ldl
BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(BPF_ARCH) \
	      -Ivmlinux.h-gen/$(ARCH) -Ibpf -Wall -Wno-unused-function

# httpd.c (libmicrohttpd) links only dynamically, httpd_none.c stands in for it
# in the static binary: see user/httpd.h for why. The same for dump_kdump.c
# (libkdumpfile: Debian has no static library) and dump_kdump_none.c.
USER_SRCS := $(filter-out user/main.c user/httpd.c user/httpd_none.c user/dump_kdump.c \
	       user/dump_kdump_none.c,$(wildcard user/*.c))
STATIC_ONLY := $(OUT)/httpd_none.o $(OUT)/dump_kdump_none.o
DYNAMIC_ONLY := $(OUT)/httpd.o $(OUT)/dump_kdump.o
# libkdumpfile: kdump-compressed dumps (user/dump_kdump.c)
KDUMP_LIBS := -lkdumpfile
USER_OBJS := $(patsubst user/%.c,$(OUT)/%.o,$(USER_SRCS))
BPF_HDRS := $(wildcard bpf/*.h)

.PHONY: all deps check test script-test unit state-test scale-test host-test metrics-test man install install-files deb deb-test http-test soak mutants bench bench-tools bench-dump bench-crash clean stopwatch-static fuzz fuzz-check fuzz-build
all: $(OUT)/stopwatch $(OUT)/stopwatch-dynamic
stopwatch-static: $(OUT)/stopwatch

deps:
	@scripts/deps.sh

$(OUT):
	@mkdir -p $@

$(OUT)/stopwatch.bpf.o: bpf/stopwatch.bpf.c $(BPF_HDRS) vmlinux.h-gen/$(ARCH)/vmlinux.h | $(OUT)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	$(LLVM_STRIP) -g $@.tmp   # DWARF only: BTF stays for CO-RE and bpftool
	mv $@.tmp $@

$(OUT)/stopwatch.skel.h: $(OUT)/stopwatch.bpf.o
	$(BPFTOOL) gen skeleton $< name stopwatch_bpf > $@.tmp && mv $@.tmp $@

$(OUT)/%.o: user/%.c $(wildcard user/*.h) $(BPF_HDRS) $(OUT)/stopwatch.skel.h | $(OUT)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(OUT)/stopwatch: $(OUT)/main.o $(USER_OBJS) $(STATIC_ONLY)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

# The same program linked against shared libraries, with the HTTP endpoint
# (stats --listen). rpath-link: the cross linker finds arm64 libraries' deps.
# (LDFLAGS less -static: a package build's hardening flags, relro and now)
$(OUT)/stopwatch-dynamic: $(OUT)/main.o $(USER_OBJS) $(DYNAMIC_ONLY)
	$(CC) $(CFLAGS) $(filter-out -static,$(LDFLAGS)) $^ -o $@ -L$(LIBDIR) -Wl,-rpath-link,$(LIBDIR) \
		$(LDLIBS) -lmicrohttpd $(KDUMP_LIBS)

# ---- man pages, install, Debian package ----
# Man pages come from --help (scripts/mkman.sh), run on this machine's build:
# the text is the same for every arch.
HOST_ARCH := $(shell uname -m | sed -e 's/aarch64/arm64/')
MAN_OUT := build/man
man: build/$(HOST_ARCH)/stopwatch
	@scripts/mkman.sh $< $(MAN_OUT) $(VERSION)

# make install [DESTDIR=...] [PREFIX=/usr/local]: the dynamic binary (it has
# the HTTP endpoint), recover-boot, the systemd unit with its paths under
# PREFIX, man pages, alert rules. The Debian package installs through this.
PREFIX ?= /usr/local
SBINDIR := $(PREFIX)/sbin
LIBEXECDIR := $(PREFIX)/libexec/stopwatch
MANDIR := $(PREFIX)/share/man
DATADIR := $(PREFIX)/share/stopwatch
UNITDIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
install: $(OUT)/stopwatch-dynamic man
	@$(MAKE) -s install-files

# what install copies, nothing built (the package build has its man pages)
install-files:
	install -D -m755 $(OUT)/stopwatch-dynamic $(DESTDIR)$(SBINDIR)/stopwatch
	sed 's|/usr/sbin/stopwatch|$(SBINDIR)/stopwatch|' packaging/systemd/recover-boot > $(OUT)/recover-boot
	install -D -m755 $(OUT)/recover-boot $(DESTDIR)$(LIBEXECDIR)/recover-boot
	sed -e 's|/usr/sbin/stopwatch|$(SBINDIR)/stopwatch|g' \
	    -e 's|/usr/libexec/stopwatch/|$(LIBEXECDIR)/|' packaging/systemd/stopwatch.service > $(OUT)/stopwatch.service
	install -D -m644 $(OUT)/stopwatch.service $(DESTDIR)$(UNITDIR)/stopwatch.service
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DATADIR)/prometheus
	install -m644 $(MAN_OUT)/*.8 $(DESTDIR)$(MANDIR)/man8/
	install -m644 packaging/prometheus/stopwatch.rules.yml packaging/prometheus/stopwatch.rules.test.yml \
		$(DESTDIR)$(DATADIR)/prometheus/

# make deb [ARCH=arm64]: build/deb/stopwatch_<version>_<amd64|arm64>.deb with
# debhelper (packaging/debian), built from a copy of the tree (scripts/mkdeb.sh)
deb: man
	@scripts/mkdeb.sh $(ARCH)

# both packages, then the amd64 one installed, run and purged in a fresh
# Debian 12 root (tests/deb/run.sh; the root is cached in ~/.cache/stopwatch)
deb-test: man $(OUT)/stopwatch-dynamic
	@scripts/mkdeb.sh x86_64 && scripts/mkdeb.sh arm64 && \
	  tests/deb/run.sh build/deb/stopwatch_*_amd64.deb build/deb/stopwatch_*_arm64.deb

# ---- tests ----
UNIT_TESTS := $(patsubst tests/unit/%.c,$(OUT)/tests/%,$(wildcard tests/unit/test_*.c))
# unit tests link the user objects (not main) and cmocka, dynamically, with
# libkdumpfile; their dump builders (tests/unit/kdump_builder.h) compress pages
# with lzo, snappy and zstd as makedumpfile does
$(OUT)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(USER_OBJS) $(OUT)/httpd_none.o $(OUT)/dump_kdump.o | $(OUT)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -no-pie $(filter %.c %.o,$^) -o $@ -L$(LIBDIR) -lcmocka $(LDLIBS) \
		$(KDUMP_LIBS) $(BUILDER_LIBS)
BUILDER_LIBS := -llzo2 -lsnappy -lzstd

unit: $(UNIT_TESTS)
	@tests/run-unit.sh $(UNIT_TESTS)
	@# a program name the BPF object lacks is a compile error (PROG in user/points.c)
	@if $(CC) $(CFLAGS) -fsyntax-only -DSW_PROG_TYPO_CHECK user/points.c 2>/dev/null; then \
		echo "unit: a misspelt BPF program name in user/points.c compiled: FAIL"; exit 1; \
	else echo "unit: a misspelt BPF program name in user/points.c does not compile: PASS"; fi

# state directory, process level (no root needed)
state-test: $(OUT)/stopwatch $(OUT)/stopwatch-dynamic build/fuzz/seeds
	@tests/state/run.sh $(OUT)/stopwatch $(OUT)/stopwatch-dynamic build/fuzz/seeds

# writes trace lines with the BPF side's emitters (hosts without kprobes)
$(OUT)/tests/trace_inject.bpf.o: tests/host/trace_inject.bpf.c $(BPF_HDRS) vmlinux.h-gen/$(ARCH)/vmlinux.h
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# the HTTP endpoint under abuse, on loopback (no root needed)
http-test: $(OUT)/stopwatch $(OUT)/stopwatch-dynamic
	@tests/http/run.sh $(OUT)/stopwatch $(OUT)/stopwatch-dynamic

host-test: $(OUT)/stopwatch $(OUT)/stopwatch-dynamic $(OUT)/tests/trace_inject.bpf.o
	@tests/host/run.sh $(OUT)/stopwatch

# the metrics stack: node_exporter and Prometheus (Debian's) on loopback,
# promtool on every exposition and on the alert rules (tests/metrics/run.sh)
$(OUT)/tests/mkcore: tests/metrics/mkcore.c tests/unit/core_builder.h $(BPF_HDRS)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -Wall -Wextra -D_GNU_SOURCE -Ibpf $< -o $@ -lz

# the worst live textfile of each arch, for the series budget (live's own writer)
$(OUT)/tests/mklive: tests/metrics/mklive.c $(USER_OBJS) $(STATIC_ONLY)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

metrics-test: $(OUT)/stopwatch $(OUT)/stopwatch-dynamic $(OUT)/tests/mkcore $(OUT)/tests/mklive
	@tests/metrics/run.sh $(OUT)/stopwatch $(OUT)/stopwatch-dynamic $(OUT)/tests/mkcore $(OUT)/tests/mklive

bench: $(OUT)/stopwatch $(OUT)/stopwatch-dynamic $(OUT)/bench/state-bench
	@bench/run.sh $(OUT)/stopwatch $(BENCH)

# state work through the state API (bench/state-bench.c), for the bench and scale-test;
# built by make check's build stage, so that an API change cannot leave it broken
bench-tools: $(OUT)/bench/state-bench
$(OUT)/bench/state-bench: bench/state-bench.c $(USER_OBJS) $(STATIC_ONLY)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@ $(LDFLAGS) $(LDLIBS)

# The state directory and logscan at fleet scale (1M records, 1 GiB of log):
# minutes, not part of `make check`.
scale-test: $(OUT)/stopwatch $(OUT)/stopwatch-dynamic $(OUT)/bench/state-bench
	@tests/scale/run.sh $(OUT)
# recover from 1-4 GiB dumps with and without the locator, beside drgn (bench/dump-open.sh)
bench-dump: $(OUT)/stopwatch-dynamic
	@bench/dump-open.sh $(OUT)/stopwatch-dynamic

# recover beside crash and drgn on a real x86 lab kdump (bench/dump-crash.sh):
# SW_LAB_KEEP=1 make vm-test-x86 VM_X86_SCENARIOS=4 keeps one; VMLINUX is the
# lab kernel's, with debug info (linux-image-<krel>-dbg, 1 GB: not in make deps)
CRASH_RUN ?= build/lab/x86/04-kdump/armed
VMLINUX ?=
bench-crash: $(OUT)/stopwatch-dynamic
	@bench/dump-crash.sh $(CRASH_RUN) $(VMLINUX) $(OUT)/stopwatch-dynamic

# ---- fuzzing: libFuzzer harnesses tests/fuzz/fuzz_*.c, one per reader (docs/fuzzing.md) ----
# Every user object is built instrumented and linked into each harness, so a
# new reader needs only its tests/fuzz/fuzz_<name>.c and corpus/<name>/.
FUZZ_CC ?= clang-14
FUZZ_OUT := build/fuzz
FUZZ_CFLAGS := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	       -fno-sanitize-recover=undefined -D_GNU_SOURCE -DSTOPWATCH_VERSION='"$(VERSION)"' \
	       -I$(OUT) -Iuser -Ibpf -I/usr/include/tracefs -I/usr/include/traceevent
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_OBJS := $(patsubst user/%.c,$(FUZZ_OUT)/obj/%.o,$(USER_SRCS) user/httpd_none.c user/dump_kdump.c)
FUZZ_SECONDS ?= 300

$(FUZZ_OUT)/obj/%.o: user/%.c $(wildcard user/*.h) $(BPF_HDRS) $(OUT)/stopwatch.skel.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_OUT)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS) $(KDUMP_LIBS)

# seed cores from the unit test's core builder (tests/unit/core_builder.h)
$(FUZZ_OUT)/seeds: tests/fuzz/seeds.c tests/unit/core_builder.h tests/unit/kdump_builder.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g -Wall -Wextra -D_GNU_SOURCE -Ibpf $< -o $@ -lz $(BUILDER_LIBS)

fuzz-build: $(addprefix $(FUZZ_OUT)/fuzz_,$(FUZZ_NAMES)) $(FUZZ_OUT)/seeds
print-fuzz-names:
	@echo $(FUZZ_NAMES)

# Long runs that grow the corpora (merged, minimized); FUZZ_SECONDS per harness.
fuzz:
	@tests/fuzz/run.sh grow $(FUZZ_SECONDS)

# The suite's stage: replay every corpus input, then a short bounded run each.
fuzz-check:
	@tests/fuzz/run.sh check

# VM labs that the suite runs (scripts/vm/*.mk define them).
CI_LABS := vm-test-x86 vm-test-arm64
print-ci-labs:
	@echo $(CI_LABS)

# "Never slower": lab scenarios SOAK_N times, armed and plain alternating, the
# durations compared with a rank test (scripts/vm/soak.sh; hours, not in CI:
# docs/soak.md). SOAK_SCENARIOS="x86:2 arm64:02-sdei-stop" picks some;
# SOAK_SLICE=K runs K iterations now, SOAK_RESUME=1 goes on from there.
# script-test: the soak's slices against a stand-in lab (no VM, seconds).
SOAK_N ?= 20
SOAK_SCENARIOS ?=
soak:
	$(X86_LAB_STOPWATCH)
	$(ARM64_LAB_STOPWATCH)
	@SOAK_N=$(SOAK_N) SOAK_SLICE=$(SOAK_SLICE) SOAK_RESUME=$(SOAK_RESUME) scripts/vm/soak.sh $(SOAK_SCENARIOS)
script-test:
	@tests/scripts/run.sh

# Does the lab catch a broken recorder? Each tests/mutants/*.patch breaks one
# thing and names the scenarios that must then fail (scripts/vm/mutants.sh;
# minutes per mutant, not in CI: docs/lab.md). MUTANTS="sdei-rung-as-ipi" picks.
MUTANTS ?=
mutants:
	$(X86_LAB_STOPWATCH)
	$(ARM64_LAB_STOPWATCH)
	@scripts/vm/mutants.sh $(MUTANTS)

# The whole suite, as the README and .ci/run call it.
check: deps
	@tests/run.sh

test: check

clean:
	rm -rf build

-include scripts/vm/*.mk
