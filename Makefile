# Top-level entry points. Each target does its own set-up on a fresh Debian 12 machine:
# installs packages (scripts/install-deps.sh), configures, builds, then runs.
#
#   make run     build and start `kmb server` (data in ./data; RUN_ARGS adds flags)
#   make test    release build with assertions; CTest default labels; clang-format check
#   make soak    ASan+UBSan debug build; every CTest label, including long runs
#   make bench   release build; benchmarks beside their peers, ratios printed
#   make fuzz    clang + libFuzzer builds of every fuzz target, each run FUZZ_SECONDS
#   make sql-conformance  every SQL logic test file and the differential test against
#                PostgreSQL 15 (issue 5 in progress: reports what does not pass yet)
#   make format  rewrite sources with clang-format

RELEASE_DIR := build/release
DEBUG_DIR := build/debug
KMB := $(RELEASE_DIR)/src/cli/kmb

.PHONY: all deps build build-debug run test soak bench fuzz format format-check clean \
	sql-conformance

FUZZ_SECONDS ?= 60

all: build

deps:
	@scripts/install-deps.sh

$(RELEASE_DIR)/build.ninja: | deps
	cmake --preset release

$(DEBUG_DIR)/build.ninja: | deps
	cmake --preset debug

build: deps $(RELEASE_DIR)/build.ninja
	cmake --build --preset release

build-debug: deps $(DEBUG_DIR)/build.ninja
	cmake --build --preset debug

RUN_ARGS ?=

run: build
	@echo "kmb server: connect with  psql postgresql://admin@127.0.0.1:5432/default"
	@echo "  (password: KMB_ADMIN_PASSWORD, else the file ./data/admin-password; Ctrl-C stops)"
	$(KMB) server $(RUN_ARGS)

test: build format-check
	ctest --preset release

# Longer runs of the randomized tests ride along (seeds and rounds raised by environment).
soak: build-debug
	KB_LOG_CRASH_SEEDS=10000 KB_LOG_KILL_ROUNDS=100 KB_STORE_MODEL_SEEDS=300 \
		KB_STORE_CRASH_SEEDS=300 KB_DB_KILL_ROUNDS=100 KB_SERVER_KILL_ROUNDS=100 ctest --preset debug

bench: build
	/usr/bin/python3 bench/run.py --build-dir $(RELEASE_DIR)

sql-conformance: build
	ctest --test-dir $(RELEASE_DIR) -L conformance --output-on-failure

fuzz: deps
	cmake --preset fuzz
	cmake --build --preset fuzz
	@scripts/run-fuzzers.sh build/fuzz $(FUZZ_SECONDS)

format-check: deps
	@scripts/check-format.sh

format: deps
	@scripts/check-format.sh --fix

clean:
	rm -rf build
