# The README's commands. Everything installs into .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app app
TEST_DATABASE_URL ?=

.PHONY: run test e2e bench lint format translations migration clean

$(VENV)/.runtime: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements-dev.txt
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

translations: $(VENV)/.runtime
	@if [ -d volunteer/translations ]; then $(BIN)/pybabel -q compile -d volunteer/translations; fi

# Development: the built-in development keys are allowed (the app refuses them elsewhere).
run: export VOLUNTEER_ENV ?= development
run: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Serving on http://127.0.0.1:$(PORT)  (Ctrl-C to stop)"
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

test: $(VENV)/.dev translations
	@echo "== tests on SQLite =="
	VOLUNTEER_TEST_DB= $(BIN)/pytest -q tests --ignore=tests/e2e
	@if [ -n "$(TEST_DATABASE_URL)" ]; then \
		echo "== tests again on $(TEST_DATABASE_URL) =="; \
		VOLUNTEER_TEST_DB="$(TEST_DATABASE_URL)" $(BIN)/pytest -q tests --ignore=tests/e2e -p no:cacheprovider; \
	fi

e2e: $(VENV)/.dev translations
	$(BIN)/pytest -q tests/e2e

bench: $(VENV)/.dev translations
	$(BIN)/python bench/run.py --quick

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate the first revision from the models (only while it has not landed).
migration: $(VENV)/.runtime
	$(BIN)/python scripts/regen_migration.py

clean:
	rm -rf $(VENV) instance .pytest_cache
