# mwt: the two set-up commands (README) plus the pieces they are made of.
#   make demo  - install what is missing, build, run the main job on a bundled default
#   make test  - the same set-up, then every C++ (incl. an ASan+UBSan build and a ThreadSanitizer
#                build of the concurrency tests) and Python test
# Other targets: deps, build, python, asan, lint, fuzz (FUZZ_SECONDS=600), differential (N=20000),
# bench, clean.
SHELL := /bin/bash
.DEFAULT_GOAL := demo

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
JOBS ?= 2
FUZZ_SECONDS ?= 600
BUILD := build/release
ASAN_BUILD := build/asan
TSAN_BUILD := build/tsan

# Debian packages the build and tests need: toolchain, the libraries CMakeLists.txt finds, clang
# (+ its runtime) for the fuzzers, clang-format and clang-tidy for make lint.
APT_PACKAGES := g++ make cmake ninja-build pkg-config libeigen3-dev libxsimd-dev xtl-dev \
                libzstd-dev catch2 libsimdjson-dev libpcre2-dev libutf8proc-dev \
                clang libclang-rt-14-dev \
                clang-format clang-tidy

.PHONY: demo test deps vocab apt venv build python asan tsan lint lint-fast test-cpp test-asan \
        test-tsan test-python \
        test-fuzz-smoke fuzz bench clean differential

demo: build python
	$(VPY) examples/python/demo.py --out demo-out

test: build python asan tsan vocab
	$(MAKE) --no-print-directory lint-fast test-cpp test-asan test-tsan test-python test-fuzz-smoke

# Style and structure (tools/lint.sh): layering, line length, clang-format, ruff, mypy, and in
# `make lint` also clang-tidy over the library with the Release compile database.
lint: build venv
	JOBS=$(JOBS) tools/lint.sh

lint-fast: venv apt
	tools/lint.sh fast

# The libFuzzer targets built with clang and run 5 s each over their seeds: a change that stops
# them building or makes a seed crash fails here (`make fuzz` is the real, long run).
test-fuzz-smoke:
	tests/fuzz/run.sh 5

deps: apt venv

# llama.cpp's vocab-only GGUF files and their test vectors (tests/python/
# test_tokenizer_llamacpp_vocab.py), from the pinned llama-cpp-python sdist into
# ~/.cache/mwt/llamacpp-vocab: once per machine, before the tests (nothing downloads while they
# run).
LLAMACPP_VOCAB_VERSION := 0.3.36
vocab: venv
	$(VPY) tools/fetch_llamacpp_vocab.py --version $(LLAMACPP_VOCAB_VERSION)

# Install only what is missing; as root through apt-get, otherwise say what to install.
apt:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" \
	    || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq \
	      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing (run as root, or install them)"; exit 1; \
	  fi; \
	fi

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

build: apt
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_EXPORT_COMPILE_COMMANDS=ON \
	  -DMWT_WERROR=ON >/dev/null
	cmake --build $(BUILD) -j $(JOBS)

# The Python package (mwt._native + the mwt CLI) into the venv; incremental via build/python.
python: venv apt
	CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(VPY) -m pip install -q --disable-pip-version-check \
	  --no-build-isolation --no-deps .

asan: apt
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMWT_SANITIZE=ON \
	  -DMWT_WERROR=ON >/dev/null
	cmake --build $(ASAN_BUILD) -j $(JOBS) --target mwt_tests

# ThreadSanitizer (gcc): the same unit-test binary; test-tsan runs only the [concurrency] tests
# (tests/cpp/test_concurrency.cpp: 8 threads through the C ABI). Any report fails the run
# (halt_on_error; no suppressions).
tsan: apt venv
	cmake -S . -B $(TSAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DMWT_TSAN=ON \
	  -DMWT_WERROR=ON >/dev/null
	cmake --build $(TSAN_BUILD) -j $(JOBS) --target mwt_tests
	CMAKE_BUILD_PARALLEL_LEVEL=$(JOBS) $(VPY) -m pip install -q --disable-pip-version-check \
	  --no-build-isolation --no-deps --upgrade --target $(TSAN_BUILD)/site \
	  -C build-dir=$(TSAN_BUILD)/python -C cmake.define.MWT_TSAN=ON \
	  -C cmake.build-type=RelWithDebInfo .

# The Python side (tests/python/test_concurrency.py: 8 threads, GIL released) loads the TSan
# build of mwt._native into the stock interpreter, gcc's libtsan preloaded.
test-tsan:
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 $(TSAN_BUILD)/tests/mwt_tests "[concurrency]"
	LD_PRELOAD=$$($(CXX) -print-file-name=libtsan.so) TSAN_OPTIONS=halt_on_error=1 \
	  PYTHONPATH=$(TSAN_BUILD)/site $(VPY) -m pytest -q -p no:cacheprovider \
	  tests/python/test_concurrency.py

test-cpp:
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

# The unit tests again under ASan+UBSan; any report fails (halt_on_error, no recover).
test-asan:
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	  $(ASAN_BUILD)/tests/mwt_tests

test-python:
	MWT_REQUIRE_VOCAB=1 $(VPY) -m pytest -q tests/python

fuzz: apt venv
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# mwt against gguf-py and the safetensors package on N mutated files, each reader in a limited
# child (tests/differential/README.md); make test runs 5000 (tests/python/test_differential.py).
N ?= 20000
differential: python
	$(VPY) -m tests.differential.run --n $(N) --jobs $(JOBS)

# Benchmarks print their tables; add --write-results benchmarks/RESULTS.md to record them.
bench: build python
	$(VPY) benchmarks/bench_open.py
	$(VPY) benchmarks/bench_dequant.py
	$(VPY) benchmarks/bench_quantize.py

clean:
	rm -rf build demo-out
