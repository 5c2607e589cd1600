# The two commands of the README: `make run` and `make test`. CI runs `make test` (see .ci/run).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000

LOCK := requirements.lock

.PHONY: run test venv migrate lint check-migrations pytest bench clean lock audit cluster

# Installs the hash-pinned lock (every package, its version and its file hashes). If a pin was
# added to requirements*.txt without `make lock`, installs unhashed so the tree still works, and
# tests/test_supply_chain.py fails until the lock is regenerated.
$(VENV)/.installed: requirements.txt requirements-dev.txt $(LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if $(PYTHON) cms/scripts/check_lock.py; then \
		echo "$(PIP) install --require-hashes -r $(LOCK)"; \
		$(PIP) install --quiet --require-hashes -r $(LOCK); \
	else \
		echo "WARNING: $(LOCK) is out of date, installing requirements-dev.txt without hashes" >&2; \
		$(PIP) install --quiet --upgrade pip && $(PIP) install --quiet -r requirements-dev.txt; \
	fi
	touch $@

venv: $(VENV)/.installed

# Regenerate the lock after changing requirements*.txt (pip-tools; hashes of every file of each pin).
lock:
	test -x $(VENV)/bin/pip-compile || $(PIP) install --quiet -r requirements-dev.txt
	$(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
		--no-emit-index-url --no-emit-find-links --output-file $(LOCK) requirements-dev.txt
	$(PYTHON) cms/scripts/check_lock.py

# Known vulnerabilities of every locked package (PyPI's advisory API; OSV with AUDIT_SERVICE=osv).
# --strict: a package that cannot be checked (e.g. no network) is a failure, not a pass.
AUDIT_SERVICE ?= pypi
audit: venv
	$(VENV)/bin/pip-audit --strict --progress-spinner off --vulnerability-service $(AUDIT_SERVICE) \
		--disable-pip --require-hashes -r $(LOCK)

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

# The multi-host shape on one machine: local PostgreSQL + Redis, gunicorn on 8001 and 8002, two
# qclusters (docs/deploy.md). Ctrl-C stops all.
cluster: venv
	cms/scripts/cluster.sh

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
