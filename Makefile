# vidhost — see README.md. Everything installs into .venv; nothing is installed globally
# except, when missing, Debian's python3-venv (to create the venv), Node.js/npm, Chromium
# and espeak-ng (for the real-client tests and the speech clips), and only when running as root.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test
JSDIR  := tests/js
LOCK   := constraints.txt
# pytest-xdist workers for `make test` (0 runs the suite in one process)
TEST_WORKERS ?= 2
# Every install takes its versions, and its build back-end's, from the lock (ADR 0075).
PIPLOCK = $(PIP) install -q -c $(LOCK) --build-constraint $(LOCK)

.DEFAULT_GOAL := help

.PHONY: help run test test-fast lock check format bench bench-quick clean venv install install-test vendor vendor-check

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(PY):
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python venv support missing; installing Debian's python3-venv"; \
	  rm -rf $(VENV); \
	  apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null; \
	  $(PYTHON) -m venv $(VENV); }
	@$(PIP) install -q -c $(LOCK) pip

$(STAMP): $(PY) pyproject.toml $(LOCK)
	$(PIPLOCK) -e .
	@touch $@

$(TSTAMP): $(STAMP) pyproject.toml $(LOCK)
	$(PIPLOCK) -e '.[test,dev]'
	@touch $@

venv: $(PY)
install: $(STAMP) ## Install vidhost into .venv
install-test: $(TSTAMP) ## Install vidhost with test and dev tools, and the JS test clients
	@if [ -f $(JSDIR)/package.json ]; then \
	  command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }; \
	  [ $(JSDIR)/node_modules/.package-lock.json -nt $(JSDIR)/package-lock.json ] || \
	    (cd $(JSDIR) && npm ci --no-audit --no-fund --loglevel=error); \
	fi
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser HLS test"; \
	  apt-get update -qq && apt-get install -y -qq chromium >/dev/null; }
	@command -v espeak-ng >/dev/null || { \
	  echo "installing Debian's espeak-ng for the generated-captions tests' speech clips"; \
	  apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null; }

# `make run PORT=9000 HOST=0.0.0.0`: only values given on make's command line count (a shell's
# own HOST, zsh's say, must not move the server); VIDHOST_PORT / VIDHOST_HOST work as well.
cli_value = $(if $(filter command line,$(origin $(1))),$(2) $($(1)))

run: $(STAMP) ## Start vidhost on http://127.0.0.1:8000 (make run PORT=9000 HOST=0.0.0.0)
	$(VENV)/bin/vidhost serve $(call cli_value,HOST,--host) $(call cli_value,PORT,--port) $(call cli_value,DATA_DIR,--data-dir)

test: install-test ## Install what tests need and run the whole suite (two pytest-xdist workers; TEST_WORKERS=0 for one process)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

test-fast: $(TSTAMP) ## Unit and integration tests only: no browsers, no end-to-end servers (~3 min)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile tests/unit tests/integration

lock: ## Resolve the newest versions pyproject.toml allows and pin them all in constraints.txt
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(PYTHON) -m venv "$$tmp/venv" && \
	"$$tmp/venv/bin/pip" install -q --upgrade pip setuptools wheel && \
	"$$tmp/venv/bin/pip" install -q --no-build-isolation -e '.[test,dev]' && \
	{ echo "# The lock (ADR 0075): every package vidhost, its tests and its tools install, pinned."; \
	  echo "# Written by \`make lock\` from pyproject.toml; do not edit. Every make target installs"; \
	  echo "# with \`pip install -c $(LOCK) --build-constraint $(LOCK)\`."; \
	  echo "# Resolved on $$("$$tmp/venv/bin/python" -c 'import platform, sys; print(f"Python {sys.version_info[0]}.{sys.version_info[1]}, {sys.platform} {platform.machine()}")')."; \
	  "$$tmp/venv/bin/pip" freeze --all --exclude-editable; } > $(LOCK).new && \
	mv $(LOCK).new $(LOCK) && echo "wrote $(LOCK): $$(grep -c '==' $(LOCK)) pins"

check: $(TSTAMP) ## ruff format --check, ruff check, mypy
	$(VENV)/bin/ruff format --check vidhost tests benchmarks
	$(VENV)/bin/ruff check vidhost tests benchmarks
	$(VENV)/bin/mypy vidhost

format: $(TSTAMP) ## Apply ruff formatting and autofixes
	$(VENV)/bin/ruff format vidhost tests benchmarks
	$(VENV)/bin/ruff check --fix vidhost tests benchmarks

bench: install-test ## Run every benchmark script (slow, ~1 h; figures next to baselines; benchmarks/README.md)
	@for b in benchmarks/[!_]*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

bench-quick: install-test ## Check the interleaved benchmarks work (tiny clips, one round; figures mean nothing)
	$(PY) benchmarks/transcode.py --quick
	$(PY) benchmarks/progressive.py --quick

vendor: $(STAMP) ## Refresh the vendored browser libraries from npm; fail unless their sha256 match vidhost/web/vendor-lock.json
	$(PY) -m vidhost.web.vendor refresh

vendor-check: $(STAMP) ## Check the vendored browser libraries against the lock (no network)
	$(PY) -m vidhost.web.vendor check

clean: ## Remove the venv, caches and the default data dir
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache vidhost-data $(JSDIR)/node_modules
