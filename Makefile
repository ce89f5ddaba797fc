# The two commands of the README: `make demo` and `make test`. The rest are steps they use.
JOBS      ?= $(shell nproc)
BUILD     ?= build
CMAKE_GEN := $(shell command -v ninja >/dev/null 2>&1 && echo "-G Ninja")
FUZZ_SECONDS ?= 20
FUZZ_RUNS ?= 10000000
FUZZ_MAX_SECONDS ?= 0

.PHONY: all deps configure build demo test format unit system test-kernels release package check-package docs asan tsan fuzz fuzz-long fuzz-build bench stress clean

all: build

deps:
	@scripts/install-deps.sh

configure: deps
	cmake -S . -B $(BUILD) $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# Only what the demo runs: the library and the CLI.
demo: configure
	cmake --build $(BUILD) -j $(JOBS) --target tuntap_cli
	$(BUILD)/tuntap demo

# The whole suite: the format check, unit + system tests, Release builds (GCC and clang), then the
# suite under ASan+UBSan and TSan, then the fuzzers.
# Sanitizer builds use -O1 with line tables only (-g1): quicker to build; reports still name lines.
test: format build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	scripts/check-install.sh $(BUILD)
	$(MAKE) --no-print-directory release check-package docs asan tsan fuzz

format: deps
	scripts/check-format.sh

unit: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

system: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L system

# The system tests and the demo on the running kernel and on Debian's 6.1 and 6.12 kernels booted in
# QEMU (scripts/kernels/list; docs/kernels.md). Installs QEMU and busybox when missing.
test-kernels: build
	scripts/test-kernels.sh $(BUILD)

# The library and the CLI as users build them: Release, warnings as errors, with GCC (shared, so the
# exported symbols are checked) and with clang (static only).
release: deps
	cmake -S . -B build-release $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
	  -DTUNTAP_BUILD_TESTS=OFF -DTUNTAP_BUILD_BENCH=OFF -DTUNTAP_BUILD_EXAMPLES=OFF
	cmake --build build-release -j $(JOBS)
	scripts/check-symbols.sh build-release
	CC=clang CXX=clang++ cmake -S . -B build-release-clang $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
	  -DTUNTAP_BUILD_TESTS=OFF -DTUNTAP_BUILD_BENCH=OFF -DTUNTAP_BUILD_EXAMPLES=OFF
	cmake --build build-release-clang -j $(JOBS)

# The Debian packages (libtuntap0, libtuntap-dev, tuntap) of a stripped Release build, in
# build-release/: the build `make release` checks (the same options, and the /usr layout of a
# package), so `make test` builds it once.
package: deps
	cmake -S . -B build-release $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON \
	  -DCMAKE_INSTALL_PREFIX=/usr -DTUNTAP_BUILD_TESTS=OFF -DTUNTAP_BUILD_BENCH=OFF -DTUNTAP_BUILD_EXAMPLES=OFF
	cmake --build build-release -j $(JOBS)
	rm -f build-release/*.deb
	cd build-release && cpack

# Installs the packages on this machine, builds and runs a consumer against /usr, purges them.
check-package: package
	scripts/check-package.sh build-release

# The API reference of include/tuntap (Doxygen); any undocumented public declaration fails it.
docs:
	@command -v doxygen >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends doxygen; }
	mkdir -p build-docs
	TUNTAP_DOCS_OUT=build-docs doxygen docs/Doxyfile
	@echo "docs: build-docs/html/index.html"

asan: deps
	cmake -S . -B build-asan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" -DTUNTAP_SANITIZE=address,undefined \
	  -DTUNTAP_BUILD_BENCH=OFF -DTUNTAP_BUILD_EXAMPLES=OFF
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j $(JOBS)

tsan: deps
	cmake -S . -B build-tsan $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=None -DCMAKE_CXX_FLAGS="-O1 -g1" -DTUNTAP_SANITIZE=thread \
	  -DTUNTAP_BUILD_BENCH=OFF -DTUNTAP_BUILD_EXAMPLES=OFF
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# Every fuzz target replays its kept corpus (fuzz/corpus/<name>/), then runs FUZZ_SECONDS from it
# (longer by hand: make fuzz FUZZ_SECONDS=600). docs/fuzzing.md.
fuzz: fuzz-build
	scripts/run-fuzzers.sh build-fuzz $(FUZZ_SECONDS)

# FUZZ_RUNS executions of each target, one at a time, niced; the new finds merged into the kept
# corpus, minimized. FUZZ_MAX_SECONDS caps a target too slow for that (0: no cap).
fuzz-long: fuzz-build
	MAX_SECONDS=$(FUZZ_MAX_SECONDS) scripts/fuzz-long.sh build-fuzz $(FUZZ_RUNS)

fuzz-build: deps
	CC=clang CXX=clang++ cmake -S . -B build-fuzz $(CMAKE_GEN) -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DTUNTAP_BUILD_FUZZ=ON -DTUNTAP_BUILD_TESTS=OFF -DTUNTAP_BUILD_TOOLS=OFF \
	  -DTUNTAP_BUILD_BENCH=OFF -DTUNTAP_BUILD_EXAMPLES=OFF
	cmake --build build-fuzz -j $(JOBS)

bench: build
	bench/run.sh $(BUILD)

# The system suite five times while stress-ng keeps every CPU busy: every round must pass.
stress: build
	scripts/stress.sh $(BUILD) 5

clean:
	rm -rf build build-release build-release-clang build-docs build-asan build-tsan build-fuzz
