# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEV    := $(VENV)/.installed-dev
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install demo test lint clean-demo messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,spark]"
	touch $@

install: $(STAMP)

## Build the embedded SQLite database with demo data, then serve it (Ctrl-C stops the server).
## Each capability that needs a step after the data (recompute, tiers, …) adds its line here.
demo: $(STAMP)
	$(BIN)/tierwise db upgrade
	$(BIN)/tierwise demo --if-empty
	$(BIN)/tierwise tiers show
	$(BIN)/tierwise service report --date 2026-10-30
	TIERWISE_DEMO=1 $(BIN)/tierwise serve --host $(HOST) --port $(PORT)

## Install the dev extras, lint, type-check, and run every test on SQLite and PostgreSQL.
test: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/mypy src
	$(BIN)/pytest

lint: $(DEV)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src

## Remove the demo database (the default embedded database file).
clean-demo:
	rm -f tierwise.db tierwise.db-wal tierwise.db-shm

## Refresh the zh_CN and en catalogues from the code; lists what still needs Chinese.
messages: $(DEV)
	$(BIN)/python scripts/messages.py
