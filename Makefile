# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# slatrace build. `make` builds build/slatrace; `make test`, `make demo`,
# `make deps`, `make clean`, `make vmlinux`, `make format-check`; longer runs
# outside `make test`: `make bench`, `make soak`, `make fuzz`, `make test-diff`.
# `make static` builds one self-contained build/static/slatrace (glibc and
# every library linked in); `make test-kernels` boots Debian's stock kernels
# under qemu and runs slatrace in them (tools/kernel-matrix.sh).
# `make fuzz` runs every fuzz target from its corpus for FUZZ_SECONDS (60)
# each: exploratory and time-bounded, so outside `make test`, whose fuzz step
# replays the corpus and runs a fixed count of mutations (tests/fuzz/README.md).
# V=1 shows the commands, SAN=1 builds with AddressSanitizer+UBSan into build-san/.

ARCH ?= x86
SAN ?= 0
STATIC ?= 0
CLANG ?= clang
BPFTOOL ?= bpftool
CC ?= cc
PKGS := libbpf libelf zlib json-c

ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else ifeq ($(STATIC),1)
BUILD ?= build/static
SANFLAGS :=
else
BUILD ?= build
SANFLAGS :=
endif

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# STATIC=1 (make static): every library from its .a, glibc included; the
# binary is stripped, since it is the one file a user copies to a host
ifeq ($(STATIC),1)
PKG_LIBS = $(shell pkg-config --static --libs $(PKGS) 2>/dev/null)
STATIC_LDFLAGS := -static -s
else
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
STATIC_LDFLAGS :=
endif
CFLAGS ?= -O2 -g
ALL_CFLAGS = $(CFLAGS) $(SANFLAGS) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
	-Iinclude -Iuser -I$(BUILD) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SANFLAGS) $(STATIC_LDFLAGS)
LDLIBS = $(PKG_LIBS) -lm
BPF_CFLAGS = -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Iinclude \
	-Wall -Wno-unused-function -MMD -MP

BPF_SRCS := $(wildcard bpf/*.bpf.c)
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
# a family's report half (its descriptor and printers, core/family.h) and the
# family table link without the probes: the unit tests and fuzzers print and
# load reports too
FAMILY_SRCS := $(wildcard user/probes/*_report.c user/probes/*_decode.c) user/probes/families.c
LIB_SRCS := $(wildcard user/core/*.c user/proto/*.c user/report/*.c user/analysis/*.c) $(FAMILY_SRCS)
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS)) $(BUILD)/obj/syscall_names.o
APP_SRCS := $(filter-out $(FAMILY_SRCS),$(wildcard user/probes/*.c user/cmd/*.c))
APP_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(APP_SRCS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(UNIT_SRCS))
E2E_BINS := $(patsubst tests/e2e/%.c,$(BUILD)/tests/%,$(filter-out %.bpf.c,$(wildcard tests/e2e/*.c)))
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(filter-out %.bpf.c %_preload.c,$(wildcard bench/*.c))) \
	$(patsubst bench/%.bpf.c,$(BUILD)/bench/%.bpf.o,$(wildcard bench/*.bpf.c)) \
	$(patsubst bench/%.c,$(BUILD)/bench/%.so,$(wildcard bench/*_preload.c))
TOOL_BINS := $(patsubst tools/%.c,$(BUILD)/tools/%,$(wildcard tools/*.c))

.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps static test test-build test-run test-diff test-kernels demo demo-run clean vmlinux \
	format format-check bench fuzz soak

all: $(BUILD)/slatrace $(TOOL_BINS)

$(BUILD)/slatrace: $(APP_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.bpf.o: bpf/%.bpf.c | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

$(BUILD)/syscall_names.c: tools/gen-syscall-names.sh | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)tools/gen-syscall-names.sh > $@

$(BUILD)/obj/syscall_names.o: $(BUILD)/syscall_names.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# every user object may include a skeleton: build them first; -MMD then
# tracks the real header dependencies, shared headers included
$(BUILD)/obj/%.o: %.c | $(SKELS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/tests/unit-tests: $(UNIT_OBJS) $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# workloads of the end-to-end tests are the truth slatrace is held against:
# built without sanitizers, whose runtimes make syscalls of their own
$(BUILD)/tests/%: tests/e2e/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out $(SANFLAGS),$(ALL_CFLAGS)) $(LDFLAGS) -o $@ $< -lpthread -lm

$(BUILD)/fuzz/%: tests/fuzz/%.c $(LIB_OBJS)
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LIB_OBJS) $(LDLIBS)

$(BUILD)/bench/%.bpf.o: bench/%.bpf.c
	@mkdir -p $(dir $@)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# preloaded into a benchmark's server: no sanitizer runtimes in there
$(BUILD)/bench/%_preload.so: bench/%_preload.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(filter-out $(SANFLAGS),$(ALL_CFLAGS)) -fPIC -shared $(LDFLAGS) -o $@ $< -ldl

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(LDLIBS) -lpthread

$(BUILD)/tools/%: tools/%.c
	@mkdir -p $(dir $@)
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< -lpthread -lm

$(BUILD):
	@mkdir -p $@

deps:
	$(Q)tools/install-deps.sh

# one file to copy to another host: build/static/slatrace, linked -static
# against glibc, libbpf, libelf, zlib and json-c (README, "Set-up")
static:
	$(Q)$(MAKE) --no-print-directory STATIC=1 BUILD=build/static build/static/slatrace

test-build: all $(BUILD)/tests/unit-tests $(E2E_BINS) $(FUZZ_BINS) $(BENCH_BINS)

# install deps first, then re-enter make so pkg-config sees the libraries
test:
	$(Q)tools/install-deps.sh
	$(Q)$(MAKE) --no-print-directory test-build
	$(Q)BUILD=$(BUILD) SAN=$(SAN) tests/run.sh

test-run: test-build
	$(Q)BUILD=$(BUILD) SAN=$(SAN) tests/run.sh

# the diff's full figures (issue 13): 20 unchanged and 20 +15% pairs and
# 20 with a CPU hog in one run, where make test runs 8, 8 and 4
# (tests/e2e/diff.sh)
test-diff: test-build
	$(Q)BUILD=$(BUILD) NOISE_PAIRS=20 HOG_PAIRS=20 TESTS=diff tests/run.sh

# boots each kernel of KERNELS (Debian 12's stock kernel by default) under
# qemu and runs the static binary's check and a reduced e2e set in it; not
# part of `make test` (README, "Kernel matrix")
test-kernels: static all $(E2E_BINS)
	$(Q)tools/install-deps.sh kernels
	$(Q)BUILD=$(BUILD) tools/kernel-matrix.sh

demo:
	$(Q)tools/install-deps.sh
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(BUILD) tools/demo.sh

FUZZ_SECONDS ?= 60
fuzz: $(FUZZ_BINS)
	$(Q)set -e; for f in $(FUZZ_BINS); do \
		t=$$(basename $$f); \
		echo "== $$t: $(FUZZ_SECONDS)s from tests/fuzz/corpus/$$t"; \
		$$f --corpus tests/fuzz/corpus/$$t --seconds $(FUZZ_SECONDS); \
	done

# one hour (SOAK_SECONDS) of tracing the demo server under steady load:
# memory flat after warm-up, counts equal the server's (tools/soak.sh)
soak: all
	$(Q)BUILD=$(BUILD) tools/soak.sh

# every benchmark runs, then the target fails if any missed a goal or did
# not measure (each ends with its own "bench NAME: ..." line); QUICK=1 for
# a short check of the verdicts
bench: all $(BENCH_BINS) $(BUILD)/tests/tcpload
	$(Q)failed=; for b in bench/*.sh; do BUILD=$(BUILD) $$b || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "make bench: goals missed or not measured in:$$failed" >&2; exit 1; fi; \
	echo "make bench: every goal met, every traced round measured"

vmlinux:
	$(Q)tools/gen-vmlinux.sh $(ARCH)

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' | grep -v '^vmlinux/')
format:
	$(Q)clang-format -i $(FORMAT_SRCS)
format-check:
	$(Q)clang-format --dry-run --Werror $(FORMAT_SRCS)

clean:
	$(call msg,CLEAN,build)
	$(Q)rm -rf build build-san

-include $(wildcard $(BUILD)/*.d $(BUILD)/obj/*/*.d $(BUILD)/obj/*/*/*.d $(BUILD)/obj/*/*/*/*.d \
	$(BUILD)/fuzz/*.d $(BUILD)/tests/*.d $(BUILD)/tools/*.d $(BUILD)/bench/*.d)
