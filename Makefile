# Two commands set everything up: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOME_DIR ?= var/demo
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean bench bench-all

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo bank: ~470 outlets and a year of complaints, loaded through the contract's commands, then the
# dashboard on 127.0.0.1 (Ctrl-C stops it). DEMO_PORT=8502 make demo for another port.
DEMO_PORT ?= 8501
demo: $(STAMP)
	rm -rf $(HOME_DIR)
	$(BIN)/plaintrail demo-data --seed 1 --outlets 470 --months 12 --out $(HOME_DIR)/data
	$(BIN)/plaintrail --home $(HOME_DIR) org load $(HOME_DIR)/data/bank.yaml
	$(BIN)/plaintrail --home $(HOME_DIR) import $(HOME_DIR)/data/actions.jsonl
	$(BIN)/plaintrail --home $(HOME_DIR) hot detect
	$(BIN)/plaintrail --home $(HOME_DIR) leaderboard --period 2024Q4 --level sub_branch --size 3
	$(BIN)/plaintrail --home $(HOME_DIR) users demo
	@echo "Log in as manager / plaintrail-manager (also: pudong, auditor, hr, admin; password plaintrail-<user>)"
	@echo "The demo bank is in $(HOME_DIR): query it with --home $(HOME_DIR) (before or after the command), e.g."
	@echo "  $(BIN)/plaintrail leaderboard --period 2024Q4 --home $(HOME_DIR)   (or: export PLAINTRAIL_HOME=$(HOME_DIR))"
	$(BIN)/plaintrail --home $(HOME_DIR) dashboard --port $(DEMO_PORT)

test: $(STAMP)
	$(BIN)/python -m pytest

# Import benchmark: plaintrail's import against the raw eventsourcing save (BENCH_ARGS=--quick for a smoke run).
BENCH_ARGS ?= --complaints 100000 --seed 1
bench: $(STAMP)
	$(BIN)/python -m bench.import_bench $(BENCH_ARGS)

# Every benchmark (long: builds a 1M-event store once under var/bench and reuses it).
bench-all: bench
	$(BIN)/python -m bench.rebuild_bench --workdir var/bench/rebuild
	$(BIN)/python -m bench.scores_bench --workdir var/bench/rebuild
	$(BIN)/python -m bench.kafka_bench
	$(BIN)/python -m bench.kafka_scale_bench
	$(BIN)/python -m bench.kafka_national_bench --complaints 130000 --workdir var/bench/rebuild
	$(BIN)/python -m bench.servicenow_bench
	$(BIN)/python -m bench.dashboard_bench
	$(BIN)/python -m bench.merkle_bench

lint: $(STAMP)
	$(BIN)/ruff check domain projections consumers dashboard plaintrail transparency monitoring tools tests bench
	$(BIN)/mypy domain projections consumers plaintrail transparency monitoring tools dashboard bench

clean:
	rm -rf $(VENV) var
