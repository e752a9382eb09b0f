# Two commands do everything on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: run test seed bench lint screenshots clean

$(INSTALLED): requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-test.txt
	touch $@

## run: install, create and seed the database if it is empty, serve on http://localhost:8501
run: $(INSTALLED)
	$(PY) -m services.seed --if-empty
	$(PY) -m streamlit run dashboard.py --server.port 8501

## test: install, lint (ruff, format, import contracts, mypy on services/ and ui/), then the whole suite, one worker per core: SQLite always; PostgreSQL when installed (a throwaway server
## on a free loopback port, or the one DATABASE_URL names); browser journeys in /usr/bin/chromium
test: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports
	$(PY) -m mypy
	bash .ci/with-postgres $(PY) -m pytest -n auto --dist loadfile

seed: $(INSTALLED)
	$(PY) -m services.seed --if-empty

bench: $(INSTALLED)
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) data/metrology.db* tests/artifacts
