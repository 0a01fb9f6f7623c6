# Confidant: the two commands of the README, plus the sanitizer build and benchmarks.
BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc)
CMAKE_ARGS ?=

.PHONY: all deps build test test-slow demo asan bench clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j$(JOBS)

# Every test except those labelled slow.
test: build
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -LE slow

test-slow: build
	@ctest --test-dir $(BUILD) --output-on-failure -j$(JOBS) -L slow

# Starts confidantd --dev and walks through the main job with the real CLI.
demo: build
	@scripts/demo.sh $(BUILD)

# The same tests under AddressSanitizer and UndefinedBehaviorSanitizer.
asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DBUILD_TESTING=ON -DCONFIDANT_SANITIZE=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j$(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir $(ASAN_BUILD) --output-on-failure -j$(JOBS) -LE slow

bench: build
	@cmake --build $(BUILD) --target confidant_bench confidant_audit_bench confidant_reporting_bench -j$(JOBS)
	@$(BUILD)/bench/confidant_bench
	@$(BUILD)/bench/confidant_audit_bench
	@$(BUILD)/bench/confidant_reporting_bench

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
