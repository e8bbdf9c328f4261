# testgate developer tasks. Each entry point builds the virtual environment it needs.
#
#   make test      CI's verdict: lint and types over src/, then the sdist, the wheel built FROM
#                  the sdist, installed into its own virtual environment (.venv-wheel), and the
#                  test suite run against that installation (never against src/)
#   make test-dev  the editable loop: the same checks, the suite against src/ through .venv
#
# docs/releasing.md says how the two differ.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# the installed-package suite: its own venv, the dev extra's dependencies installed once per
# change of pyproject.toml, the freshly built wheel reinstalled (--no-deps) on every run
WVENV ?= .venv-wheel
WBIN := $(WVENV)/bin
WBASE := $(WVENV)/.base
WDEPS := $(WVENV)/.deps
DIST ?= dist

.PHONY: demo test test-dev lint typecheck unit venv bench clean gold docs dist installed \
	unit-installed check-installed

$(STAMP): pyproject.toml
	@echo "venv: creating $(VENV) with testgate editable and the dev extra (a few minutes the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

# the demo runs on a minimal install, as a new user has it: testgate without extras (pip
# install ., not editable) and what the example's steps need; reinstalled when src/ changes
DVENV ?= .venv-demo
DSTAMP := $(DVENV)/.installed
$(DSTAMP): pyproject.toml examples/polyglot/requirements.txt $(shell find src -type f -not -path '*/__pycache__/*')
	@echo "demo: creating $(DVENV) (a minimal install: testgate without extras, and the example's pytest and bandit)"
	$(PYTHON) -m venv $(DVENV)
	@echo "demo: installing testgate and the example's requirements (about a minute the first time)"
	$(DVENV)/bin/pip install -q --upgrade pip
	$(DVENV)/bin/pip install -q . -r examples/polyglot/requirements.txt
	@echo "demo: ready; running testgate on examples/polyglot"
	touch $(DSTAMP)

## Run testgate's main job on the bundled example monorepo (a minimal install in .venv-demo).
demo: $(DSTAMP)
	cd examples/polyglot && PATH="$(CURDIR)/$(DVENV)/bin:$$PATH" testgate run -c testgate.yaml --html reports/report.html

## CI's verdict: checks over src/, then the test suite against the installed wheel.
test: check-installed unit-installed

## The development loop: lint, types, the test suite against the editable install of src/.
test-dev: lint typecheck unit

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

$(WBASE):
	$(PYTHON) -m venv $(WVENV)
	$(WBIN)/pip install -q --upgrade pip build
	touch $(WBASE)

## The sdist, then the wheel built from that sdist (what `python -m build` does): a file the
## sdist leaves out is missing from the wheel too, and the tests see it.
dist: $(WBASE)
	rm -rf $(DIST)
	$(WBIN)/python -m build --outdir $(DIST) . >$(WVENV)/build.log 2>&1 \
		|| { cat $(WVENV)/build.log; exit 1; }
	@ls -l $(DIST)

## Install the wheel into .venv-wheel: the dev extra's dependencies once (again when
## pyproject.toml changes), the wheel itself every time (same version, so --force-reinstall).
installed: dist
	@whl=$$(ls $(DIST)/testgate-*.whl); \
	if [ ! -f $(WDEPS) ] || [ pyproject.toml -nt $(WDEPS) ]; then \
		echo "installing $$whl[dev] into $(WVENV)"; \
		$(WBIN)/pip install -q "$$whl[dev]" && touch $(WDEPS) || exit 1; \
	fi; \
	echo "installing $$whl into $(WVENV)"; \
	$(WBIN)/pip install -q --no-deps --force-reinstall "$$whl"

# lint and types read src/ (lint-imports with src/ first on the path, so that it maps the
# checkout rather than the installed copy); the tools come from .venv-wheel, one venv in CI
check-installed: installed
	$(WBIN)/ruff check src tests benchmarks
	$(WBIN)/ruff format --check src tests benchmarks
	PYTHONPATH=src $(WBIN)/lint-imports
	$(WBIN)/mypy

## The test suite from the checkout (tests/, examples/, docs/ by path) with `import testgate`
## resolved to .venv-wheel's site-packages: pytest's console script puts no src/ on sys.path,
## and tests/packaging/test_installed.py fails if testgate comes from anywhere else.
unit-installed: installed
	PATH="$(CURDIR)/$(WBIN):$$PATH" TESTGATE_TEST_INSTALLED=1 \
		TESTGATE_TEST_WHEEL="$$(ls $(CURDIR)/$(DIST)/testgate-*.whl)" \
		$(WBIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

## Regenerate the golden renderings in tests/gold/ (review the diff before committing it).
gold: $(STAMP)
	TESTGATE_REGEN_GOLD=1 $(BIN)/pytest -q -p no:cacheprovider tests/test_gold.py

## Build the documentation site into site/ (strict: a broken link between pages fails).
docs: $(STAMP)
	$(BIN)/mkdocs build --strict

## The benchmarks need their peers (junitparser, diff-cover, pycobertura...: the bench extra).
bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) $(WVENV) $(DVENV) $(DIST) build .testgate examples/*/.testgate
