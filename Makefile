# `make demo` sets everything up and shows hangdump on real hung workers; `make test` runs the whole suite.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test bench lint

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

demo: setup
	$(BIN)/hangdump demo

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check forensics tests scripts

bench: setup
	$(BIN)/python scripts/bench/collect.py
