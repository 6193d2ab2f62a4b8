# Caicaini — `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run test check bench bench-client bench-chat bench-console fmt clean

help: ## Show this help
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml client/pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e . -e ./client
	@touch $(STAMP)

install: $(STAMP) ## Create the virtualenv (if missing) and install the locked dependencies

run: install ## Migrate, seed the demo data and serve on http://$(HOST):$(PORT)
	$(BIN)/caicaini migrate
	$(BIN)/caicaini demo seed
	$(BIN)/caicaini serve --host $(HOST) --port $(PORT)

test: install ## Run the whole test suite (SQLite and, when reachable, PostgreSQL)
	$(BIN)/pytest $(PYTEST_ARGS)

check: install ## Lint, format check, types, import layering, migrations in sync
	$(BIN)/ruff check src tests bench client
	$(BIN)/ruff format --check src tests bench client
	$(BIN)/mypy
	cd client && ../$(BIN)/mypy
	$(BIN)/lint-imports
	CAICAINI_DATA_DIR=$$(mktemp -d) sh -c '$(BIN)/alembic upgrade head && $(BIN)/alembic check'

bench: install ## Run the benchmarks under bench/ and print the figures
	$(BIN)/python -m bench.gateway

bench-client: install ## Measure Caicaini Code (start-up, print mode end to end) into bench/client/RESULTS.md
	$(BIN)/python -m bench.client

bench-chat: install ## Measure the web chat (pages, search, streaming) into bench/chat/RESULTS.md
	$(BIN)/python -m bench.chat

bench-console: install ## Measure the operator console's pages into bench/console/RESULTS.md
	$(BIN)/python -m bench.console

fmt: install ## Format the code
	$(BIN)/ruff format src tests bench client
	$(BIN)/ruff check --fix src tests bench client

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var
