# paretolab — two commands on a fresh machine:
#   make run    set up .venv, then serve the dashboard on http://localhost:8501
#   make test   set up .venv (with dev extras), then run the whole test suite
#
# torch is installed first, on its own: TORCH_SPEC defaults to the CPU build that this
# kind of machine keeps on local disk. On a GPU machine the same spec from PyPI is the
# CUDA build; elsewhere pass the PyTorch CPU wheel index in TORCH_PIP_ARGS (README).

PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8501
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
PYTEST_ARGS ?=

PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
# Idle OpenMP threads sleep instead of spinning (3x faster steps on a busy 2-core box).
export OMP_WAIT_POLICY ?= PASSIVE

.PHONY: setup run test lint format bench-quality clean

setup: $(VENV)/.installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.torch: | $(VENV)/bin/python
	$(PIP) install -q $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(PIP) install -q -e ".[dev]"
	touch $@

run: setup
	$(VENV)/bin/streamlit run dashboard/app.py --server.address $(HOST) --server.port $(PORT)

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench-quality: setup
	$(PY) benchmarks/quality.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
