# The two commands of the README: `make demo` and `make test`.
# Each creates .venv with the machine's python3 if absent and installs the package (editable) with
# the versions of requirements-lock.txt (pip-compile'd for Python 3.11 on Linux: the versions the
# example reports were made with). `make lock` re-makes the lock file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK := requirements-lock.txt
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test test-fast test-min lint install install-test lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# [lab]: JupyterLab, for the README's tour of the notebooks
$(STAMP): $(BIN)/python pyproject.toml $(LOCK)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[lab]'
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

# [test] includes [dask] (the Dask executor's tests), ruff, mypy and a setuptools that builds the wheel
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[lab,test]'
	touch $(TEST_STAMP)

install: $(STAMP)
install-test: $(TEST_STAMP)

# writes ./mch-demo/ (data and reports) and prints where the index is
demo: $(STAMP)
	$(BIN)/mch demo

# ruff (lint and format check) and mypy (types) as configured in pyproject.toml
lint: $(TEST_STAMP)
	$(BIN)/ruff check mchanalysis tests tools benchmarks
	$(BIN)/ruff format --check mchanalysis tests tools benchmarks
	$(BIN)/mypy

# Lint, the unit/behaviour suite (with the slow end-to-end runs: the wheel built and installed
# into a fresh virtualenv, the README's examples), then nbval on the committed example runs.
test: $(TEST_STAMP) lint
	$(BIN)/python -m pytest -q tests
	@if ls examples/*/*.ipynb >/dev/null 2>&1; then \
	  $(BIN)/python -m pytest -q --nbval examples --nbval-sanitize-with examples/nbval_sanitize.cfg; \
	fi

# The contributors' fast lane: everything but the tests marked slow (notebooks in kernels,
# end-to-end runs) and nbval, on every core (pytest-xdist; a module's tests stay on one worker).
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -n auto --dist loadfile tests

# The declared floors, tested: a separate virtualenv with every dependency pinned to its lower
# bound in pyproject.toml (tools/min_constraints.py; binary wheels only, Python 3.11), then a
# smoke subset (statistics, indicators, trends, notebooks executed and exported to HTML and Word).
MIN_VENV := .venv-min
MIN_SMOKE := tests/test_stats_intervals.py tests/test_indicators.py tests/test_trends.py \
  tests/test_joinpoint.py tests/test_validation.py tests/test_report_docx.py tests/test_install.py
test-min:
	test -x $(MIN_VENV)/bin/python || $(PYTHON) -m venv $(MIN_VENV)
	$(PYTHON) tools/min_constraints.py > $(MIN_VENV)/constraints.txt
	$(MIN_VENV)/bin/python -m pip install --quiet --only-binary :all: -c $(MIN_VENV)/constraints.txt \
	  -e . pytest hypothesis
	$(MIN_VENV)/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	$(MIN_VENV)/bin/python -m pytest -q -m "not slow" $(MIN_SMOKE)

# Re-make the lock file (needs pip-tools; PyPI). Versions already pinned are kept when they fit.
# The package itself (the [test] extra names mchanalysis[dask]) is left out: a lock line
# 'mchanalysis @ file:///<this folder>' would pin a clone to the folder the lock was made in.
lock: $(BIN)/python
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --extra lab --extra dask --extra test --strip-extras \
	  --unsafe-package mchanalysis --unsafe-package pip --unsafe-package setuptools \
	  --unsafe-package distribute --no-emit-index-url --no-emit-find-links -o $(LOCK) pyproject.toml

clean:
	rm -rf $(VENV) $(MIN_VENV) reports mch-demo
