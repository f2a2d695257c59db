# weft — the two commands a new user needs are `make demo` and `make check`.
BUILD ?= build
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?= -DCMAKE_BUILD_TYPE=RelWithDebInfo

.PHONY: all deps build check demo bench install clean

all: build

deps:
	./scripts/install-deps

build: deps
	cmake -S . -B $(BUILD) -G Ninja $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

# Every test: unit tests, kernel tests and end-to-end tests (the last two in
# throwaway sandboxes; the machine's own network is never touched).
check: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# The seed's walkthrough, in a throwaway sandbox.
demo: build
	$(BUILD)/weft demo

bench: build
	bench/run $(BUILD)

install: build
	cmake --install $(BUILD) --prefix /usr/local

clean:
	rm -rf $(BUILD)
