# make demo / make test work on a fresh machine with only Python 3.11 and make:
# each creates .venv when missing and installs the project once (a stamp file
# records the install, so a second run installs nothing new).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.attnflow-installed
EXTRAS ?= all,dev
PYTEST_ARGS ?= -n 2

.PHONY: install demo test test-slow bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[$(EXTRAS)]"
	@touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/attnflow demo
	@echo "attnflow is installed in $(VENV)/bin: 'source $(VENV)/bin/activate' puts it on the PATH"

test: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS) -m "not slow"

bench: $(STAMP)
	$(VENV)/bin/attnflow bench --quick

test-slow: $(STAMP)
	$(PY) -m pytest -q $(PYTEST_ARGS) -m slow

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis
