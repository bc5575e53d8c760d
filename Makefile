# Two commands: `make run` (demo with a seeded merchant) and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := app.py
# pytest-xdist workers for `make test` (each with its own database and Redis database, see tests/parallel.py);
# PYTEST_WORKERS=0 or PYTEST_ARGS="-p no:xdist" runs the suite serially in one process.
PYTEST_WORKERS ?= 2

.PHONY: run test lint static install migrate seed worker bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

ismartsync/static/vendor/htmx.min.js: node_modules/.package-lock.json
	mkdir -p ismartsync/static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

static: ismartsync/static/vendor/htmx.min.js

run: install static
	scripts/run-demo.sh

test: install static
	$(BIN)/python -m pytest $(if $(findstring no:xdist,$(PYTEST_ARGS)),,-n $(PYTEST_WORKERS)) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

worker: install
	$(BIN)/python -m jobs.worker

bench: install
	$(BIN)/python -m bench.foundation
	$(BIN)/python -m bench.catalog_import --variants $${BENCH_VARIANTS:-100000}
	$(BIN)/python -m bench.stock_sync --sales $${BENCH_SALES:-1000}
	$(BIN)/python -m bench.counter
	$(BIN)/python -m bench.documents
	$(BIN)/python -m bench.fiscal --sales $${BENCH_FISCAL_SALES:-400}
	$(BIN)/python -m bench.returns --runs $${BENCH_RETURNS:-200}

clean:
	rm -rf $(VENV) node_modules ismartsync/static/vendor instance/demo.sqlite3
