# The README's two commands: `make demo` (the main job) and `make test` (the tests).
# Each creates .venv when missing. PYTHON may point to another Python >= 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# pytest-xdist workers for `make test` (the target machine has 2 cores)
TEST_WORKERS ?= 2
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hcctrial demo --out out

# The ten slowest tests are listed at the end; the Hypothesis seed is printed (tests/conftest.py).
test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --durations=10

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/mypy

bench: $(STAMP)
	for f in benchmarks/*.py; do $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache
