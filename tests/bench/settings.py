"""Settings of the benchmark processes: the test settings, plus switches for the SQLite journal.

`BENCH_SQLITE_JOURNAL=delete` runs SQLite in its default rollback-journal mode (measurement 7
compares the ORM broker with and without WAL); unset, the project's WAL setting applies.
"""

import os

from cms.settings.test import *  # noqa: F403
from cms.settings.test import DATABASES

_journal = os.environ.get("BENCH_SQLITE_JOURNAL", "").lower()
if _journal and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"]["init_command"] = f"PRAGMA journal_mode={_journal};"
# The runner migrates its template database without fsync (set-up, not a measured figure).
if os.environ.get("BENCH_SQLITE_NOSYNC") and DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"]["init_command"] += " PRAGMA synchronous=OFF;"

# Apart from a developer's or the test suite's cluster and cache on a shared Redis.
Q_CLUSTER = {**Q_CLUSTER, "name": "response-desk-bench"}  # noqa: F405
for _alias in CACHES.values():  # noqa: F405
    _alias["KEY_PREFIX"] = "bench"

# The project's URLs plus the bare baseline views (tests/bench/urls.py).
ROOT_URLCONF = "tests.bench.urls"

# The table is the output: the apps' INFO lines (one per transition, per task) would bury it.
for _logger in LOGGING["loggers"].values():  # noqa: F405
    _logger["level"] = "WARNING"
Q_CLUSTER["log_level"] = "WARNING"
