"""RELIABILITY item 28, the full run: SQLite under 5 minutes of concurrent saves, a qcluster with 2
workers and an import. Not collected by pytest (no test_ prefix); runs the short test at length:

    .venv/bin/python tests/faults/sqlite_load.py [SECONDS]    # default 300

It prints the figures (saves, p50/p95/max latency, `database is locked` count, task failures) and
exits non-zero when a limit is exceeded. The test itself is tests/faults/test_sqlite_load.py.
"""

import os
import subprocess
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]


def main():
    seconds = sys.argv[1] if len(sys.argv) > 1 else "300"
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env["SQLITE_LOAD_SECONDS"] = seconds
    command = [sys.executable, "-m", "pytest", "tests/faults/test_sqlite_load.py", "-s", "-q"]
    return subprocess.call(command, cwd=BASE_DIR, env=env)  # noqa: S603 - fixed command


if __name__ == "__main__":
    sys.exit(main())
