# ottorec - build, test, bench, demo.
#
#   make            release build: build/rel/ottorec (and build/rel/libottorec.a)
#   make test       ASan+UBSan build of library, CLI and tests, then the suite
#   make test-bins  the same build without running the suite
#   make golden     rewrite tests/cli/golden/*.out after an intended change
#   make bench      full-scale benchmarks (minutes; needs ~20 GB of disk)
#   make demo       the main job on built-in synthetic data
#
# Knobs: CC=clang, NO_OMP=1 (no OpenMP), NO_SIMD=1 (scalar kernels only),
#        NATIVE=1 (-march=native), SANITIZER=address,undefined (for the test
#        build), BUILD=DIR (build folder, default build: one per
#        configuration; a folder rebuilds when its flags change), V=1.
# Missing Debian packages are installed on first use (needs root or sudo).

CC ?= cc
SANITIZER ?= address,undefined

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
LIB_AREAS := base io store embed covisit rec report
LIB_INC := $(LIB_AREAS:%=-Ilib/%)
BASE_CFLAGS := -std=c11 -D_GNU_SOURCE $(LIB_INC) -g $(WARN) -MMD -MP
ifeq ($(NO_OMP),)
OMP := -fopenmp
endif
ifneq ($(NO_SIMD),)
BASE_CFLAGS += -DOR_NO_SIMD
endif
# clang: its packages (scripts/deb-packages-clang.txt) are installed too;
# it fuses a * b + c into one rounding unless told not to (gcc does not in
# ISO C mode): off, so that both compute the same bits; and it reports an
# `omp simd` loop it does not vectorise (as at the test build's -O1) as a
# warning, but the pragma is a hint, so that is no error
IS_CLANG := $(or $(findstring clang,$(notdir $(CC))),$(findstring clang,$(shell $(CC) --version 2>/dev/null | head -1)))
ifneq ($(IS_CLANG),)
BASE_CFLAGS += -ffp-contract=off -Wno-pass-failed
endif
ifneq ($(NATIVE),)
ARCH := -march=native
endif
REL_CFLAGS := $(BASE_CFLAGS) -O2 $(OMP) $(ARCH) $(CFLAGS)
TEST_CFLAGS := $(BASE_CFLAGS) -O1 -fno-omit-frame-pointer -fsanitize=$(SANITIZER) \
	-fno-sanitize-recover=undefined $(OMP) $(CFLAGS)
LIBS := -lmicrohttpd -lxgboost -lxxhash -lz -lzstd -lsnappy -lm -lpthread

LIB_SRC := $(sort $(wildcard $(LIB_AREAS:%=lib/%/*.c)))
CLI_SRC := $(sort $(wildcard cli/*.c))
TEST_SRC := $(sort $(wildcard tests/test_*.c))

BUILD ?= build
REL := $(BUILD)/rel
TST := $(BUILD)/test
DEPS_STAMP := build/.deps-installed
ifneq ($(IS_CLANG),)
DEPS := $(DEPS_STAMP) build/.clang-deps-installed
else
DEPS := $(DEPS_STAMP)
endif

REL_LIB_OBJ := $(LIB_SRC:%.c=$(REL)/%.o)
REL_CLI_OBJ := $(CLI_SRC:%.c=$(REL)/%.o)
TST_LIB_OBJ := $(LIB_SRC:%.c=$(TST)/%.o)
TST_CLI_OBJ := $(CLI_SRC:%.c=$(TST)/%.o)
TEST_BINS := $(TEST_SRC:tests/%.c=$(TST)/tests/%)

ifeq ($(V),)
Q := @
endif

.PHONY: all test test-bins golden bench demo clean deps fmt fuzz FORCE
all: $(REL)/ottorec

deps: $(DEPS)
# install-missing LISTFILE STAMP: apt-get the packages of LISTFILE not yet
# installed (apt-get update once, only when something is missing)
define install-missing
	@mkdir -p build
	@missing=""; for p in $$(grep -v '^#' $(1)); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null || exit 1; \
	fi; touch $(2)
endef
$(DEPS_STAMP): scripts/deb-packages.txt
	$(call install-missing,scripts/deb-packages.txt,$@)
build/.bench-deps-installed: scripts/deb-packages-bench.txt | $(DEPS_STAMP)
	$(call install-missing,scripts/deb-packages-bench.txt,$@)
build/.clang-deps-installed: scripts/deb-packages-clang.txt | $(DEPS_STAMP)
	$(call install-missing,scripts/deb-packages-clang.txt,$@)

# flags-stamp FLAGS: the file $@ holds FLAGS, rewritten only when they
# change, so that every object of a folder is built with the same flags
define flags-stamp
	@mkdir -p $(dir $@)
	@echo '$(1)' | cmp -s - $@ || echo '$(1)' > $@
endef
$(REL)/.flags: FORCE
	$(call flags-stamp,$(CC) $(REL_CFLAGS))
$(TST)/.flags: FORCE
	$(call flags-stamp,$(CC) $(TEST_CFLAGS))

$(REL)/%.o: %.c $(REL)/.flags | $(DEPS)
	@mkdir -p $(dir $@)
	@[ -n "$(Q)" ] && echo "CC $<" || true
	$(Q)$(CC) $(REL_CFLAGS) -c $< -o $@

$(TST)/%.o: %.c $(TST)/.flags | $(DEPS)
	@mkdir -p $(dir $@)
	@[ -n "$(Q)" ] && echo "CC [test] $<" || true
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(REL)/libottorec.a: $(REL_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^
$(TST)/libottorec.a: $(TST_LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(REL)/ottorec: $(REL_CLI_OBJ) $(REL)/libottorec.a
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)
	@echo "built $@"
$(TST)/ottorec: $(TST_CLI_OBJ) $(TST)/libottorec.a
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $^ $(LIBS)

$(TST)/tests/%: $(TST)/tests/%.o $(TST)/libottorec.a
	$(Q)$(CC) $(TEST_CFLAGS) -o $@ $^ $(LIBS)
# kept, so that a later make neither rebuilds them nor prints their removal
# after the suite's last line
.SECONDARY: $(TEST_BINS:%=%.o)

test-bins: $(TEST_BINS) $(TST)/ottorec $(REL)/ottorec

test: test-bins
	@OTTOREC=$(TST)/ottorec TEST_BIN_DIR=$(TST)/tests sh tests/run.sh

# Rewrite the golden CLI outputs (tests/cli/golden/*.out) from the test
# build after an intended change of output; read `git diff` after.
golden: $(TST)/ottorec
	@UPDATE_GOLDEN=1 OTTOREC=$(TST)/ottorec TESTS_DIR=tests sh tests/cli/test_golden.sh | grep -c '^PASS' | sed 's/$$/ golden cases written or unchanged/'

$(REL)/bench_open: $(REL)/bench/bench_open.o $(REL)/libottorec.a
	$(Q)$(CC) $(REL_CFLAGS) -o $@ $^ $(LIBS)

bench: $(REL)/ottorec $(REL)/bench_open build/.bench-deps-installed
	@OTTOREC=$(REL)/ottorec BENCH_OPEN=$(REL)/bench_open sh bench/run.sh

# `ottorec demo`: synth -> split -> run (every strategy) -> score and stage
# tables, in demo-out/ (DEMO_DIR); DEMO_SCALE sets the data size.
DEMO_DIR ?= demo-out
demo: $(REL)/ottorec
	$(REL)/ottorec demo -o $(DEMO_DIR) $(if $(DEMO_SCALE),--scale $(DEMO_SCALE))

# libFuzzer (clang) over the readers: every tests/fuzz/fuzz_NAME.c is a
# target (adding a file adds one), built with ASan+UBSan (any report stops
# it) against the library built once for fuzzing, then run FUZZ_SECONDS
# (default 120) from its kept corpus tests/fuzz/corpus/NAME/ (read only: the
# inputs it finds go to build/fuzz/corpus/NAME/, crashes to build/fuzz/).
# The table: a target's longest input, FUZZ_MAX_LEN_NAME where it needs
# other than FUZZ_MAX_LEN (the sectioned files are 4 KiB of header and a
# 4 KiB-aligned section each).  `make fuzz FUZZ=store` runs one target.
FUZZ_SECONDS ?= 120
FUZZ_MAX_LEN ?= 65536
FUZZ_MAX_LEN_ingest ?= 8192
FUZZ_MAX_LEN_npy ?= 8192
FUZZ_MAX_LEN_store ?= 49152
FUZZ_ALL := $(sort $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ ?= $(FUZZ_ALL)
FUZZ_DIR := build/fuzz
FUZZ_SAN := address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE $(LIB_INC) -g -O1 $(WARN) -ffp-contract=off -Wno-pass-failed -MMD -MP
FUZZ_LIB_OBJ := $(LIB_SRC:%.c=$(FUZZ_DIR)/%.o)
.SECONDARY: $(FUZZ_LIB_OBJ)

$(FUZZ_DIR)/lib/%.o: lib/%.c $(DEPS_STAMP) build/.clang-deps-installed
	@mkdir -p $(dir $@)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<
$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< $(FUZZ_LIB_OBJ) $(LIBS)

# the request parser of `ottorec serve` is a cli file: built in
$(FUZZ_DIR)/fuzz_serve_request: tests/fuzz/fuzz_serve_request.c cli/serve_request.c $(FUZZ_LIB_OBJ)
	$(Q)clang $(FUZZ_CFLAGS) -Icli -fsanitize=fuzzer,$(FUZZ_SAN) -o $@ $< cli/serve_request.c $(FUZZ_LIB_OBJ) $(LIBS)

fuzz_max_len = $(or $(FUZZ_MAX_LEN_$(1)),$(FUZZ_MAX_LEN))
fuzz: $(FUZZ:%=$(FUZZ_DIR)/fuzz_%)
	@for tl in $(foreach t,$(FUZZ),$(t):$(call fuzz_max_len,$(t))); do \
		t=$${tl%%:*}; len=$${tl#*:}; \
		echo "fuzz $$t: $(FUZZ_SECONDS) s, inputs up to $$len bytes"; \
		mkdir -p $(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t || exit 1; \
		$(FUZZ_DIR)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=$$len -timeout=10 \
			-rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/$$t- \
			$(FUZZ_DIR)/corpus/$$t tests/fuzz/corpus/$$t 2>$(FUZZ_DIR)/$$t.log || \
			{ tail -60 $(FUZZ_DIR)/$$t.log; echo "fuzz $$t: FAILED (log $(FUZZ_DIR)/$$t.log)"; exit 1; }; \
		grep -E '^(stat::number_of_executed_units|Done)' $(FUZZ_DIR)/$$t.log | tr '\n' ' '; echo; \
	done

clean:
	rm -rf build $(filter-out build,$(BUILD))

FORCE:

-include $(shell find $(REL) $(TST) $(FUZZ_DIR) -name '*.d' 2>/dev/null)
