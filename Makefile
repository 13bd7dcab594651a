# Two entry points for a fresh machine with nothing but Python 3.11:
#   make demo   set everything up, run the baseline scenario → results/baseline/
#   make test   set everything up (incl. Debian's chromium for the browser tests), type-check (mypy), run all tests
#   make lock   re-resolve requirements.lock from pyproject.toml's ranges (then commit it)
# `setup` installs exactly the versions (and file hashes) in requirements.lock, so CI and every
# developer compute with the same libraries; pyproject.toml keeps ranges for people who install
# lendsim into an environment of their own.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
LOCK_VENV := .lock-venv

.PHONY: setup demo test browser bench lint lock clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m pip check
	touch $@

lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet pip-tools
	$(LOCK_VENV)/bin/pip-compile --quiet --extra dev --extra ema --generate-hashes --strip-extras --allow-unsafe \
	    --no-emit-index-url --no-emit-find-links --output-file requirements.lock pyproject.toml
	rm -rf $(LOCK_VENV)

demo: setup
	$(BIN)/lendsim run scenarios/baseline.toml --out results/baseline

browser:
	bash .ci/install-browser.sh

test: setup browser
	$(BIN)/mypy
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: setup
	$(BIN)/python benchmarks/bench_model.py

lint: setup
	$(BIN)/ruff check lendsim tests benchmarks examples
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(LOCK_VENV) results/*/ test-artifacts .pytest_cache
