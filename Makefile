# The few commands people type. Everything creates what it needs first.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
EXTRAS := dev,postgres,redis,celery,s3
STAMP  := $(VENV)/.installed

.PHONY: run test install lint typecheck pytest bench clean

## run: the service with the bundled demo data on the embedded defaults (SQLite, ./var):
## migrations, an admin login (printed), the demo study, then the server on http://127.0.0.1:8000
run: $(STAMP)
	$(BIN)/gazemap demo && $(BIN)/gazemap serve --host 127.0.0.1 --port 8000

## test: lint, type-check and the whole test suite
test: $(STAMP) lint typecheck pytest

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

## bench: every benchmark, printed (never asserted)
bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
