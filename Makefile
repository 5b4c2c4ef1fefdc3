# filegate: set-up, build, run, test and bench.
#
#   make run    installs what is missing, builds, serves config.example.json
#   make test   installs what is missing, runs every test (Swift and the openai SDK clients)
#   make bench  uploads and downloads 1 GiB through the local backend, then filegate against nginx as a reverse
#               proxy in front of one nginx upstream (bench/results/)
#   make bench-proxy  only the second: filegate against nginx (bench/results/proxy.txt)
#   make fuzz   libFuzzer + AddressSanitizer on the parsers (Fuzz/), FUZZ_SECONDS (default 60) per target or
#               FUZZ_RUNS executions, summary in bench/results/fuzz.txt; not part of `make test`
#   make load   2,000 keep-alive connections of small calls and streaming transfers for LOAD_MINUTES (default 5;
#               SOAK_MINUTES=30 for a soak): errors, p99, RSS and descriptors (bench/results/load.txt);
#               LOAD_THROUGH=remote through the remote path to a second filegate (load-remote.txt)
#
# `deps` expects a Debian 12 machine and root (sudo is used when not root); the Swift toolchain itself
# must already be on PATH.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build
.DELETE_ON_ERROR:
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3
CONFIG ?= config.example.json
FILEGATE := .build/debug/filegate

# Debian packages the build and the tests need, each installed only when missing.
APT_PACKAGES := libsqlite3-dev libcurl4-openssl-dev curl pkg-config

# Client pins. OPENAI3 is the newest 3.x on PyPI when this was written (`pip index versions openai`).
OPENAI3_VERSION := 3.57.0
OPENAI1_VERSION := 1.109.1
PYTEST_VERSION := 9.2.0

VENV3 := .venv-openai3
VENV1 := .venv-openai1
VENV3_PINS := openai==$(OPENAI3_VERSION) pytest==$(PYTEST_VERSION)
VENV1_PINS := openai==$(OPENAI1_VERSION) pytest==$(PYTEST_VERSION)

CLIENT_TESTS := Tests/clients
PYTEST_FLAGS := -p no:cacheprovider

SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: deps venvs build run test test-swift test-clients bench bench-proxy bench-micro fuzz load clean-venvs

## deps: install the Debian packages that are missing (apt-get update once, only if something is missing).
# `python3 -m venv` works only with ensurepip, which Debian ships in python3-venv: that is what the probe checks.
deps:
	@missing=(); \
	for package in $(APT_PACKAGES); do \
	    status="$$(dpkg -s "$$package" 2>/dev/null || true)"; \
	    [[ "$$status" == *"Status: install ok installed"* ]] || missing+=("$$package"); \
	done; \
	probe="$$(mktemp -d)"; \
	if ! { $(PYTHON) -c 'import ensurepip' && $(PYTHON) -m venv --without-pip "$$probe/venv"; } >/dev/null 2>&1; then \
	    missing+=(python3-venv); \
	fi; \
	rm -rf "$$probe"; \
	if (( $${#missing[@]} == 0 )); then \
	    echo "deps: nothing missing"; \
	else \
	    echo "deps: installing $${missing[*]}"; \
	    $(SUDO) apt-get update; \
	    $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$${missing[@]}"; \
	fi; \
	command -v swift >/dev/null || { echo "deps: swift is not on PATH (install the Swift 6.3 toolchain)" >&2; exit 1; }

## venvs: the two client venvs, made again only when missing, broken, or when the pins change.
# $(1) = venv folder, $(2) = exact pins; the pins are stamped into the venv after a complete install.
define make_venv
	@dir="$(1)"; pins="$(2)"; stamp="$$dir/.filegate-pins"; \
	if [[ -f "$$stamp" && "$$(cat "$$stamp")" == "$$pins" ]] \
	        && "$$dir/bin/python" -c 'import openai, pytest' >/dev/null 2>&1; then \
	    echo "venvs: $$dir is up to date ($$pins)"; \
	else \
	    echo "venvs: creating $$dir ($$pins)"; \
	    rm -rf "$$dir"; \
	    $(PYTHON) -m venv "$$dir"; \
	    "$$dir/bin/python" -m pip install --quiet --disable-pip-version-check $$pins; \
	    printf '%s' "$$pins" > "$$stamp"; \
	fi
endef

venvs:
	$(call make_venv,$(VENV3),$(VENV3_PINS))
	$(call make_venv,$(VENV1),$(VENV1_PINS))

clean-venvs:
	rm -rf $(VENV3) $(VENV1)

## build: debug build of everything (the executable lands in .build/debug/filegate).
build:
	swift build

## run: serve config.example.json on 127.0.0.1:8080.
run: deps build
	$(FILEGATE) serve --config $(CONFIG)

## test: Swift tests, then the end-to-end client suite with openai 3.x (all) and 1.x (tests marked `both`).
# pytest exits 5 when it collects nothing; like every non-zero exit, that fails the recipe.
test: deps venvs test-swift test-clients

test-swift:
	swift build --build-tests
	swift test --skip-build

test-clients:
	test -x $(FILEGATE) || { echo "test: $(FILEGATE) is missing; run swift build" >&2; exit 1; }
	$(VENV3)/bin/python -m pytest $(PYTEST_FLAGS) $(CLIENT_TESTS)
	$(VENV1)/bin/python -m pytest $(PYTEST_FLAGS) -m both $(CLIENT_TESTS)

## bench: release build in .build-release, 1 GiB up and down and small GETs (wrk) through the local backend, figures
## in bench/results/; then bench-proxy's comparison and bench-micro's pieces.
bench: deps
	bash bench/run.sh
	bash bench/proxy.sh
	bash bench/micro.sh

## bench-proxy: filegate, nginx as a reverse proxy and the upstream itself, side by side in front of one nginx
## upstream (installs nginx-light and wrk when missing), figures in bench/results/proxy.txt.
bench-proxy: deps
	bash bench/proxy.sh

## bench-micro: the event loop's own pieces of a small GET (parse, key, route, headers, JSON in and out, response
## head), each timed alone, and the multipart parser's pass over an upload (MB/s), in the separate package
## bench/micro/, release build; and the copy out of curl's write callback, memcpy against fg_copy_bytes
## (bench/curl_copy.c); figures in bench/results/micro.txt.
bench-micro: deps
	bash bench/micro.sh

## fuzz: the separate fuzz package (Fuzz/) built with -sanitize=fuzzer,address, each target (FUZZ_TARGETS, default
## all) run for FUZZ_SECONDS (default 60) or FUZZ_RUNS executions; fails on any crash, written to Fuzz/Crashes/.
fuzz:
	bash Fuzz/run.sh

## load: a benchmark, not a test: release build, filegate on its local backend under 2,000 keep-alive connections
## mixing small calls and 4 MiB uploads/downloads for LOAD_MINUTES (SOAK_MINUTES wins when set); bench/results/load.txt.
## LOAD_THROUGH=remote: the same through filegate's remote path, to a second filegate (bench/results/load-remote.txt).
load: deps
	LOAD_MINUTES="$(LOAD_MINUTES)" SOAK_MINUTES="$(SOAK_MINUTES)" LOAD_THROUGH="$(LOAD_THROUGH)" bash bench/load.sh
