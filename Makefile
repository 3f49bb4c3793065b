# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The PostgreSQL pass of the test suite; Django creates and drops its own test database there.
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/postgres

.PHONY: run test test-sqlite test-postgresql lint install npm

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

# axe-core, for the browser tests' accessibility checks: exactly the versions in package-lock.json.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

npm: node_modules/.installed

## Set everything up and serve the forum, with the seeds imported, on http://127.0.0.1:8000/;
## the task worker runs beside it and prints the mail it sends (console backend).
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py import_seeds
	$(PY) manage.py db_worker --no-reload & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

## The whole test suite: lint, migrations up to date, then pytest on SQLite and on PostgreSQL.
test: lint test-sqlite test-postgresql

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

test-sqlite: install npm
	env -u DATABASE_URL $(PY) -m pytest

test-postgresql: install npm
	DATABASE_URL=$(TEST_POSTGRES_URL) $(PY) -m pytest
