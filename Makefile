# Hivewatch. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
SAMPLES ?= ../shared/samples
DEMO_WAREHOUSE ?= demo-warehouse

.DEFAULT_GOAL := help
.PHONY: help install lint test demo bench bench-export report clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create .venv and install the project with its dev tools

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check pipeline tests bench
	$(BIN)/ruff format --check pipeline tests bench
	$(BIN)/mypy

test: lint ## the whole test suite (installs first if needed)
	$(BIN)/pytest -q

demo: $(STAMP) ## ingest the committed fixture fleet and print the offenders report
	rm -rf $(DEMO_WAREHOUSE)
	$(BIN)/hivewatch ingest fixtures -w $(DEMO_WAREHOUSE) --exclude README.md --exclude truth.json
	$(BIN)/hivewatch query events_by_host -w $(DEMO_WAREHOUSE)
	$(BIN)/hivewatch report -w $(DEMO_WAREHOUSE) --format md

BENCH_FLEET ?= bench/out/fleet-40x60
BENCH_MIXED ?= bench/out/fleet-mixed-40x60

bench: $(STAMP) ## ingest and fleet-generation speed beside bare pyevtx-rs and python-evtx (not in the tests)
	$(BIN)/python bench/bench_fixtures.py
	[ -d $(BENCH_FLEET) ] || $(BIN)/hivewatch fixtures $(BENCH_FLEET) --hosts 40 --days 60 --formats evtx
	$(BIN)/python bench/ingest_bench.py --samples $(SAMPLES) --fleet $(BENCH_FLEET)
	$(BIN)/python bench/decode_floor.py --fleet $(BENCH_FLEET)
	$(BIN)/python bench/dask_bench.py --fleet $(BENCH_FLEET)
	[ -d $(BENCH_MIXED) ] || $(BIN)/hivewatch fixtures $(BENCH_MIXED) --hosts 40 --days 60
	$(BIN)/python bench/derive_bench.py --fleet $(BENCH_MIXED)

bench-export: $(STAMP) ## hivewatch sql -o beside DuckDB's own COPY, on the 10M-event warehouse of bench/report_bench.py
	[ -d bench/out/report-10m ] || $(BIN)/python bench/report_bench.py --repeat 1
	$(BIN)/python bench/export_bench.py

clean: ## remove the venv, caches and demo warehouse
	rm -rf $(VENV) $(DEMO_WAREHOUSE) .pytest_cache .mypy_cache .ruff_cache

report: $(STAMP) ## ingest COLLECT=fixtures into WAREHOUSE=warehouse, then a dated HTML report in REPORTS=reports/ (SINCE=7d optional)
	$(BIN)/hivewatch ingest $(or $(COLLECT),fixtures) -w $(or $(WAREHOUSE),warehouse) || [ $$? -eq 1 ]
	$(BIN)/hivewatch report -w $(or $(WAREHOUSE),warehouse) -o $(or $(REPORTS),reports)/ $(if $(SINCE),--since $(SINCE))
