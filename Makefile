# Quick start: `make run` (daemon on embedded defaults) and `make test` (set up, lint, type-check, test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEB_PACKAGES := libportaudio2 libasound2-plugins pulseaudio pulseaudio-utils espeak-ng sox libsndfile1 chromium chromium-driver
TORCH_VERSION := 2.13.0
PYTEST_ARGS ?=

.PHONY: run test lint typecheck unit bench wheels one-core system-deps clean

# Debian packages: installed only when missing and only when we are root (a maker's
# laptop without root gets a message from `teddy doctor` instead).
system-deps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	  else echo "warning: missing Debian packages:$$missing (run: sudo apt-get install$$missing)"; fi; \
	fi

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip setuptools wheel

# The run set: the daemon and its embedded models.
$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

# The test set adds the optional backends that tests compare against. torch is pinned to the
# CPU build first so openai-whisper never pulls a CUDA build; triton (GPU kernels only, ~1 GB)
# is skipped by installing openai-whisper's real dependencies by hand.
$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q "torch==$(TORCH_VERSION)"
	$(BIN)/pip install -q -e ".[dev,piper,base,wyoming]"
	$(BIN)/pip install -q --no-deps "openai-whisper==20250625"
	$(BIN)/pip install -q numba tiktoken more-itertools
	touch $@ $(VENV)/.run-installed

run: system-deps $(VENV)/.run-installed
	$(BIN)/teddy run

lint: $(VENV)/.test-installed
	$(BIN)/ruff check daemon processors tests benchmarks
	$(BIN)/ruff format --check daemon processors tests benchmarks

typecheck: $(VENV)/.test-installed
	$(BIN)/mypy

test: system-deps $(VENV)/.test-installed lint typecheck
	$(BIN)/python -m pytest -ra $(PYTEST_ARGS)

unit: $(VENV)/.test-installed
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

# Every dependency and extra resolves from wheels for linux aarch64 and x86_64, Python 3.11-3.13
# (pip's platform options against PyPI; no ARM hardware). `make test` runs the same check as the
# slow test tests/packaging/test_wheels_everywhere.py; this prints the whole table.
wheels: $(VENV)/.test-installed
	$(BIN)/python -m tests.packaging.resolve

# "What to expect on one core": the key measurements pinned to CPU 0 (taskset -c 0).
one-core: $(VENV)/.test-installed
	$(BIN)/python benchmarks/one_core.py

bench: $(VENV)/.test-installed
	@for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
