# weft — the two commands a new user needs are `make demo` and `make check`.
BUILD ?= build
JOBS ?= $(shell nproc)
# Tests mostly wait on the kernel, sockets and other daemons, so run more of
# them than there are cores (each e2e test is its own sandbox).
TEST_JOBS ?= $(shell echo $$(( $(JOBS) * 2 )))
# Unity builds (several .cc compiled as one) take about half the compile time
# of a cold build; `make UNITY=OFF` for quicker one-file rebuilds while editing.
UNITY ?= ON
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo
CONFIGURE = cmake -G Ninja -DCMAKE_UNITY_BUILD=$(UNITY)

ASAN_BUILD ?= build-asan
TSAN_BUILD ?= build-tsan

.PHONY: all deps build programs check check-fast check-once check-asan check-tsan lint demo bench install clean

all: build

deps:
	./scripts/install-deps

build: deps
	$(CONFIGURE) -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# The two programs alone, without the test executables: what the demo, the
# benchmarks and the tests left out under the sanitizers run.
programs: deps
	$(CONFIGURE) -S . -B $(BUILD) $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS) --target weft weftd

# Every test: unit tests, kernel tests and end-to-end tests (the last two in
# throwaway sandboxes; the machine's own network is never touched), then the
# static analysis (clang-tidy, cppcheck), and the suite built with
# AddressSanitizer and UndefinedBehaviorSanitizer. Each end-to-end test runs
# once: under the sanitizers when check-asan runs it, on the plain build when
# it is one of ASAN_SKIP (check-once). Unit and kernel tests run under the
# sanitizers (and the threaded modules' under TSan, optimised): compiling
# them a third time for the plain build cost a cold CI run ~100 s.
# `make check-fast` builds everything and runs it all on the plain build.
check: check-once lint check-asan check-tsan

check-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS)

check-once: programs
	cd $(BUILD) && ctest --output-on-failure -j $(TEST_JOBS) \
	  -R '^(fuzz/|($(subst $(space),|,$(ASAN_SKIP)))$$)'

check-asan: deps
	$(CONFIGURE) -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DWEFT_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	  LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(TEST_JOBS) -E '^(fuzz/|$(subst $(space),|,$(ASAN_SKIP)))'
# Left out under the sanitizers, as they would find nothing the rest does not:
# the fuzzer (it has its own), the 200-port scale test (the code paths of 070,
# repeated for minutes), and the tests whose time goes to other programs
# driving code paths the others cover under ASan: ufw (150's openings), a
# dockerd with its defaults (125's driver and 150's openings), podman and
# containerd (110's and 112's CNI plugin), and the many-hosts harness's own
# test (etcd, namespaces and iproute2; 210 drives weft on it under ASan). All
# of them run in check-fast.
space := $(subst ,, )
ASAN_SKIP ?= e2e/075-ports-scale e2e/115-podman-containerd e2e/152-ufw e2e/155-dockerd-defaults \
  e2e/200-cluster-harness

# ThreadSanitizer over the code that runs threads: weftd's daemon and DNS
# server (their unit tests start the real event loops and control socket),
# and the etcd client (watches cancelled from other threads, concurrent calls;
# its kernel tests run real etcd members).
check-tsan: deps
	$(CONFIGURE) -S . -B $(TSAN_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_TSAN=ON
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target weft_dns_tests weft_daemon_tests weft_etcd_nstests
	cd $(TSAN_BUILD) && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	  ctest --output-on-failure -R '^(unit/weft_(dns|daemon)|kernel/weft_etcd)$$'

# No module includes one above it (scripts/check-layers, a second), every
# source is formatted as .clang-format says (scripts/check-format), then
# clang-tidy and cppcheck over the project's code, batch by batch as a unity
# build compiles it (scripts/lint says why). They read the flags from a
# compilation database, so lint configures its own, without building.
LINT_BUILD ?= build-lint
lint: deps
	scripts/check-layers
	scripts/check-format
	$(CONFIGURE) -S . -B $(LINT_BUILD) -DCMAKE_UNITY_BUILD=ON $(CMAKE_FLAGS) >/dev/null
	scripts/lint $(LINT_BUILD)

# The seed's walkthrough, in a throwaway sandbox.
demo: programs
	$(BUILD)/weft demo

bench: programs
	bench/run $(BUILD)

# Also installs weft as a CNI plugin ("type": "weft") where runtimes look:
# /opt/cni/bin (containerd, cnitool) and /usr/lib/cni (Debian's podman).
# Symlinks, not copies: weft finds weftd next to its real path.
install: build
	cmake --install $(BUILD) --prefix /usr/local
	install -d $(DESTDIR)/opt/cni/bin $(DESTDIR)/usr/lib/cni
	ln -sf /usr/local/bin/weft $(DESTDIR)/opt/cni/bin/weft
	ln -sf /usr/local/bin/weft $(DESTDIR)/usr/lib/cni/weft

clean:
	rm -rf $(BUILD)
