# The two commands of the README: `make demo` and `make test`.
# Each creates .venv with the machine's python3 if absent and installs the package (editable).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: demo test test-fast install install-test clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

install: $(STAMP)
install-test: $(TEST_STAMP)

demo: $(STAMP)
	$(BIN)/mch demo

# The unit/behaviour suite, then nbval on the committed example runs (see examples/README.md).
test: $(TEST_STAMP)
	$(BIN)/python -m pytest -q tests
	@if ls examples/*/*.ipynb >/dev/null 2>&1; then \
	  $(BIN)/python -m pytest -q --nbval examples --nbval-sanitize-with examples/nbval_sanitize.cfg; \
	fi

# The contributors' fast lane: everything but the end-to-end `mch run` tests (marked slow) and nbval.
test-fast: $(TEST_STAMP)
	$(BIN)/python -m pytest -q -m "not slow" tests

clean:
	rm -rf $(VENV) reports
