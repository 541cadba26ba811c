# babyskin: `make run` serves the app, `make test` runs every test. Both install into .venv first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SHARED ?= ../shared

.PHONY: install run test lint bench safety clean chromium wrk

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "babyskin needs Python 3.11 or newer"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP)

run: install
	@echo "babyskin: http://127.0.0.1:8000"
	$(VENV)/bin/babyskin serve --host 127.0.0.1 --port 8000

lint: install
	$(PY) -m ruff check src tests benchmarks
	$(VENV)/bin/babyskin kb lint

test: lint chromium
	scripts/ensure-postgres.sh
	$(PY) -m pytest

# The browser tests drive Debian's Chromium; install it only when it is missing.
chromium:
	@test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }

# The HTTP benchmarks load the server with wrk (Debian's package); install it only when it is missing.
wrk:
	@command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }

bench: install wrk
	$(PY) benchmarks/run.py --cases $(SHARED)/eval/dev_cases.yaml
	$(PY) benchmarks/diary.py

# The heavier safety checks (docs/safety/hazard-log.md): Hypothesis at a large budget, Schemathesis
# against a live loopback server, a bounded load test; prints a summary table, fails on any failure.
safety: install
	scripts/ensure-postgres.sh
	$(PY) -m ruff check safety
	$(PY) -m safety.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-output
