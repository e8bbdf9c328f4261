# testgate developer tasks. Both entry points build their own virtual environment.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit venv bench clean gold docs

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

## Run testgate's main job on the bundled example monorepo.
demo: $(STAMP)
	cd examples/polyglot && PATH="$(CURDIR)/$(BIN):$$PATH" testgate run -c testgate.yaml --html reports/report.html

## The whole suite: lint, types, tests.
test: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

## Regenerate the golden renderings in tests/gold/ (review the diff before committing it).
gold: $(STAMP)
	TESTGATE_REGEN_GOLD=1 $(BIN)/pytest -q -p no:cacheprovider tests/test_gold.py

## Build the documentation site into site/ (strict: a broken link between pages fails).
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .testgate examples/*/.testgate
