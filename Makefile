# One command per habit; CI runs `make test` (see .ci/run).
# `make chat` and `make test` each do the whole set-up on a fresh machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export ANONYMIZED_TELEMETRY := False
export GRADIO_ANALYTICS_ENABLED := False

.PHONY: setup chat test test-fast lint fuzz eval bench browser-deps clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	# torch first, alone: the CPU build; any other torch request pulls a CUDA build.
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -c constraints.txt -e ".[dev]"
	$(VENV)/bin/rag models --assemble
	touch $(STAMP)

chat: setup
	$(VENV)/bin/rag serve

browser-deps:
	@command -v chromium >/dev/null || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: setup browser-deps
	$(VENV)/bin/pytest -q -rs

test-fast: setup
	$(VENV)/bin/pytest -q -m "not slow and not browser"

lint: setup
	$(VENV)/bin/ruff check rag index ui evals tests
	$(VENV)/bin/mypy rag

# The property tests with many more generated inputs than CI's bounded profile.
fuzz: setup
	HYPOTHESIS_PROFILE=fuzz $(VENV)/bin/pytest -q -m fuzz

eval: setup
	$(VENV)/bin/rag eval

bench: setup
	$(VENV)/bin/rag bench

clean:
	rm -rf .rag runs .pytest_cache
