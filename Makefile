# praefect: `make run` to see it work, `make test` to check it. Needs Python 3.11+ and make.

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# The newest Python 3.11+ on PATH (only used to create the virtualenv).
PYTHON ?= $(shell for p in python3.14 python3.13 python3.12 python3.11 python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; \
	  then command -v $$p; break; fi; done)

.PHONY: help run test lint fmt bench venv clean pyc chromium screenshots prefect-venv

help:
	@echo "make run    create .venv if needed, run the examples (into .praefect-demo/), then serve the UI at http://127.0.0.1:4200/"
	@echo "make test   lint, format check, type check (mypy) and the test suite"
	@echo "make lint   ruff check"
	@echo "make fmt    ruff format + ruff check --fix"
	@echo "make bench  quick benchmarks (benchmarks/bench_core.py --quick)"
	@echo "make prefect-venv  the venv with Prefect's own package that tests/compat drives (make test builds it)"

$(PY):
	@if [ -z "$(PYTHON)" ]; then echo "error: praefect needs Python 3.11 or newer on PATH (python3.11, python3.12, ...)" >&2; exit 1; fi
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changed since the last install. `make run` needs only what
# praefect runs with; the dev extras (playwright, schemathesis, mypy, ...) come with `make test`.
RUN_STAMP := $(VENV)/.installed-run
$(RUN_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	@touch $(RUN_STAMP)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP) $(RUN_STAMP)

# Byte-compile praefect once: machines that set PYTHONDONTWRITEBYTECODE would otherwise
# recompile every module in every new process (about 0.1-0.2 s each time).
pyc: $(STAMP)
	@$(PY) -m compileall -q praefect >/dev/null

venv: $(STAMP)

# The demo keeps its runs in .praefect-demo/ of the checkout (not in ~/.praefect), and runs the
# examples only once: a second `make run` shows the same runs.
DEMO_HOME := $(CURDIR)/.praefect-demo
run: $(RUN_STAMP)
	@$(PY) -m compileall -q praefect >/dev/null
	@if [ ! -f $(DEMO_HOME)/praefect.db ]; then \
	  PRAEFECT_HOME=$(DEMO_HOME) $(PY) examples/hello_flow.py && \
	  PRAEFECT_HOME=$(DEMO_HOME) $(PY) examples/pipeline_dag.py; \
	fi
	PRAEFECT_HOME=$(DEMO_HOME) $(VENV)/bin/praefect flow-run ls
	@echo "Starting the server on the demo's runs ($(DEMO_HOME)); open http://127.0.0.1:4200/ (Ctrl-C stops it)."
	PRAEFECT_HOME=$(DEMO_HOME) $(VENV)/bin/praefect server start

# The browser tests (tests/ui) drive Debian's Chromium; Playwright's own browsers are never
# downloaded. CI runs as root on Debian: install it there when missing.
CHROMIUM := /usr/bin/chromium
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  echo "Installing chromium for the browser tests (apt-get install -y chromium)"; \
	  apt-get install -y chromium >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y chromium >/dev/null; } \
	  || echo "warning: could not install chromium; the browser tests skip (and fail with CI=true)" >&2; \
	fi

# Screenshots of every page for the README and docs/ui.md (docs/img/*.png).
screenshots: pyc chromium
	$(PY) docs/screenshots.py

# Prefect's own `prefect` package (PyPI) in a venv of its own, for the real-client tests
# (tests/compat): built once and kept in .venv-prefect/<version>/. When the package index cannot
# be reached those tests skip with the reason (and fail with CI=true).
prefect-venv: $(STAMP)
	@$(PY) tests/compat/prefect_venv.py build

test: pyc chromium prefect-venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	@# Two processes for the ordinary tests (they wait on subprocesses and servers more than on
	@# the CPU); the fault tests kill processes and stop databases, so they run one at a time.
	$(PY) -m pytest -q -n 2 -m 'not faults'
	$(PY) -m pytest -q -m faults

lint: $(STAMP)
	$(VENV)/bin/ruff check .

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: pyc
	@if [ -f benchmarks/bench_core.py ]; then $(PY) benchmarks/bench_core.py --quick; \
	else echo "benchmarks/bench_core.py not found; nothing to run"; fi

clean:
	rm -rf $(VENV) .praefect-demo .pytest_cache .ruff_cache .mypy_cache build dist *.egg-info
