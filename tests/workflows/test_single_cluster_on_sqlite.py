"""A second qcluster on the same SQLite database is refused at start (RELIABILITY item 28)."""

import subprocess
import sys

import pytest

from django.db import connection

from tests.conftest import BASE_DIR, _cluster_env


@pytest.mark.cluster
def test_a_second_qcluster_on_the_same_sqlite_database_is_refused(qcluster):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL + Redis deployments may run several clusters")
    qcluster.start()
    second = subprocess.run(
        [sys.executable, "manage.py", "qcluster"],
        cwd=BASE_DIR,
        env=_cluster_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    assert "Another qcluster is already running" in second.stderr
    # The first cluster is unaffected.
    assert qcluster.process.poll() is None
