# kefu — the small Makefile in front of CMake.
#   make        build (release-ish, into build/)
#   make run    install what is missing (the dashboard's ECharts too), build, seed the demo shop
#               (once), start the demo on :8080
#   make test   install what tests need (npm: ECharts, playwright-core), build with ASan+UBSan, run ctest
#   make bench  build and run the benchmarks (docs/benchmarks.md)
#   make clean  remove build folders
MAKEFLAGS += --no-print-directory
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
BUILD ?= build
TBUILD ?= build-test
ARGS ?=
DEMO_ARGS ?=

.PHONY: all build run test bench clean deps

all: build

deps:
	@scripts/install-deps.sh build

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEFU_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

run: build
	@scripts/install-deps.sh web
	@scripts/install-web-libs.sh
	@mkdir -p var
	$(BUILD)/kefu demo seed --if-empty $(DEMO_ARGS)
	$(BUILD)/kefu serve $(ARGS)

test:
	@scripts/install-deps.sh test
	@scripts/install-test-tools.sh
	@scripts/install-web-libs.sh
	@cmake -S . -B $(TBUILD) -DCMAKE_BUILD_TYPE=Debug -DKEFU_SANITIZE=ON -DKEFU_TESTS=ON >/dev/null
	@cmake --build $(TBUILD) -j $(JOBS)
	@cd $(TBUILD) && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ctest --output-on-failure -j $(JOBS) --timeout 600

bench: 
	@scripts/install-deps.sh bench
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEFU_TESTS=OFF >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)
	@bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(TBUILD)
