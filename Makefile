# The two commands of the README: `make run` and `make test`. CI runs `make test` (see .ci/run).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test venv migrate lint check-migrations pytest bench clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.installed

migrate: venv
	$(PY) manage.py migrate --noinput

# Set up, seed demo data, then run one qcluster beside the web server; Ctrl-C stops both.
run: migrate
	$(PY) manage.py seed_demo
	@echo "Site: http://$(HOST):$(PORT)/   Admin: http://$(HOST):$(PORT)/admin/   Health: http://$(HOST):$(PORT)/healthz"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py qcluster & \
	$(PY) manage.py runserver --noreload $(HOST):$(PORT) & \
	wait

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check-migrations: venv
	DJANGO_SETTINGS_MODULE=cms.settings.test $(PY) manage.py makemigrations --check --dry-run

pytest: venv
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test: lint check-migrations pytest

# Issue #8's benchmark suite: own data on scratch databases (SQLite under var/bench/, or PostgreSQL +
# Redis when DATABASE_URL/REDIS_URL are set); prints the table, writes var/bench/latest.json.
# BENCH_ARGS e.g. "--only ledger --rows 10000"; see docs/performance.md.
bench: venv
	$(PY) -m tests.bench.run $(BENCH_ARGS)

clean:
	rm -rf var test-artifacts
