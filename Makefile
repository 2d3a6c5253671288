# Postventa — every target sets up its own environment on first use.
#
# Python 3.11, 3.12 or 3.13 (docs/decisions/0010-python-versions.md): the newest of them that runs,
# or the one PYTHON= names (make test PYTHON=python3.12). A pyenv shim of a version pyenv has not
# selected is on the PATH but does not run, so each candidate is tried, not just looked up.
SUPPORTED := 3.13 3.12 3.11
VENV      ?= .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed

# Looked up only when the venv is (re)built.
NEWEST_PYTHON = $(firstword $(foreach v,$(SUPPORTED),$(shell python$(v) -c "" >/dev/null 2>&1 && echo python$(v))))
PY_VERSION    = import sys; print("%d.%d" % sys.version_info[:2])

# A venv whose interpreter no longer runs (a Homebrew upgrade removes the old one), or that another
# Python made when PYTHON= names one, is rebuilt: dropping its stamp sends the next target to it.
ifeq ($(shell $(BIN)/python -c '$(PY_VERSION)' 2>/dev/null),)
  $(shell rm -f $(STAMP))
else ifdef PYTHON
  ifneq ($(shell $(BIN)/python -c '$(PY_VERSION)'),$(shell $(PYTHON) -c '$(PY_VERSION)' 2>/dev/null))
    $(shell rm -f $(STAMP))
  endif
endif

.PHONY: run test unit check bench demo lock clean setup conformance

setup: $(STAMP)

# Rebuilt when the dependency declaration or the lock changes, or by the check above.
$(STAMP): pyproject.toml requirements/lock.txt
	$(eval PY := $(or $(PYTHON),$(NEWEST_PYTHON)))
	@test -n "$(PY)" || { \
	  echo "Postventa necesita Python 3.11, 3.12 o 3.13, y en el PATH no hay python3.13, python3.12"; \
	  echo "ni python3.11 que funcione. Instala uno (Debian/Ubuntu: apt install python3 python3-venv;"; \
	  echo "macOS: brew install python@3.13) o indica cuál usar: make PYTHON=/ruta/a/python3.12"; exit 1; }
	@$(PY) -c 'import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))' 2>/dev/null || { \
	  echo "$(PY) no es Python 3.11, 3.12 ni 3.13: Postventa necesita uno de ellos."; exit 1; }
	@if [ -d $(VENV) ] && [ "$$($(BIN)/python -c '$(PY_VERSION)' 2>/dev/null)" != \
	     "$$($(PY) -c '$(PY_VERSION)')" ]; then echo "$(VENV) se rehace con $(PY)"; rm -rf $(VENV); fi
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || { \
	  echo "No se pudo crear $(VENV) con $(PY) (Debian/Ubuntu: apt install python3-venv)"; exit 1; }
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -c requirements/lock.txt -e ".[cfdi,local,dev]"
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/postventa local up

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The unit tier alone (CI runs it on every other Python the machine has, each in its own venv).
unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

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

# Re-pin every package after changing pyproject.toml. One lock serves 3.11 to 3.13: every pinned
# release has wheels for all three (CI installs it on each Python it finds).
lock:
	$(BIN)/python -m pip freeze --exclude-editable --exclude postventa > requirements/lock.txt

clean:
	rm -rf $(VENV) .venv-* .pytest_cache .mypy_cache .ruff_cache .aws-sam
