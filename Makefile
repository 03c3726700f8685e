# Two commands set everything up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= var/demo
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	rm -rf $(HOME_DIR)
	$(BIN)/plaintrail --home $(HOME_DIR) org load examples/bank.yaml
	-$(BIN)/plaintrail --home $(HOME_DIR) import examples/actions.jsonl
	$(BIN)/plaintrail --home $(HOME_DIR) timeline C-2024-0001
	$(BIN)/plaintrail --home $(HOME_DIR) timeline C-2024-0002

test: $(STAMP)
	$(BIN)/python -m pytest

# Import benchmark: plaintrail's import against the raw eventsourcing save (BENCH_ARGS=--quick for a smoke run).
BENCH_ARGS ?= --complaints 100000 --seed 1
bench: $(STAMP)
	$(BIN)/python -m bench.import_bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check domain projections consumers dashboard plaintrail tests bench
	$(BIN)/mypy domain projections consumers plaintrail

clean:
	rm -rf $(VENV) var
