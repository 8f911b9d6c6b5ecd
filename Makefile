# Two commands for a fresh machine with Python 3.11: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --quiet --disable-pip-version-check

.PHONY: run test test-fast checkpoints clean

$(VENV)/.app: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements.txt
	$(PIP) --no-deps --no-build-isolation -e .
	touch $@

$(VENV)/.dev: $(VENV)/.app requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

## Set up (first time) and start the app on http://localhost:8501
run: $(VENV)/.app
	$(PY) -m ui.serve

## Set up (first time) and run lint, the type check, and every test (~10 minutes on 2 cores)
test: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m mypy benchmarks  # apart: its anomaly.py and pages/anomaly.py share a module name
	$(PY) -m pytest

## The quick tier for the edit loop (under 90 s): lint, types, library and unit tests only
test-fast: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m mypy
	$(PY) -m mypy benchmarks
	$(PY) -m pytest -m "not slow" -q

## Retrain the shipped checkpoints in checkpoints/ (CPU, a few minutes each, reproducible)
checkpoints: $(VENV)/.app
	bash scripts/train_checkpoints.sh

clean:
	rm -rf runs/ship .pytest_cache .ruff_cache
