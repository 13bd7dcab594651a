# Two entry points for a fresh machine with nothing but Python 3.11:
#   make demo   set everything up, run the baseline scenario → results/baseline/
#   make test   set everything up (incl. Debian's chromium for the browser tests), run all tests
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: setup demo test browser bench lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

demo: setup
	$(BIN)/lendsim run scenarios/baseline.toml --out results/baseline

browser:
	bash .ci/install-browser.sh

test: setup browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: setup
	$(BIN)/python benchmarks/bench_model.py

lint: setup
	$(BIN)/ruff check lendsim tests benchmarks examples

clean:
	rm -rf $(VENV) results/*/ test-artifacts .pytest_cache
