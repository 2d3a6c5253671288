# Postventa — every target sets up its own environment on first use.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test check bench demo lock clean setup conformance

setup: $(STAMP)

# Rebuilt only when the dependency declaration or the lock changes.
$(STAMP): pyproject.toml requirements/lock.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Se necesita $(PYTHON) (Python 3.11)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements/lock.txt -e ".[cfdi,local,dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/postventa local up

test: $(STAMP)
	$(BIN)/python -m pytest -q

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python -m bench

demo: $(STAMP)
	$(BIN)/postventa demo

# The product against the real-world corpus beside the repository (not part of `make test`).
CORPUS ?= ../shared/fixtures/real
conformance: $(STAMP)
	$(BIN)/postventa conformance --corpus $(CORPUS)

# Re-pin every package after changing pyproject.toml.
lock:
	$(BIN)/python -m pip freeze --exclude-editable --exclude postventa > requirements/lock.txt

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .aws-sam
