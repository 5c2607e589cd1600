"""Two qcluster processes on one PostgreSQL database run each due schedule once (issue #9).

django-q2's scheduler takes the due Schedule rows with SELECT ... FOR UPDATE inside a transaction
and moves next_run before committing, so the second cluster's scheduler, blocked on the lock, finds
nothing due. On SQLite that lock is a no-op, which is why a second cluster is refused there
(tests/workflows/test_single_cluster_on_sqlite.py).
"""

import datetime as dt
import signal
import threading
import time
from collections import Counter

import pytest
from django_q.models import Schedule, Task

from django.db import connection, connections
from django.utils import timezone

from tests.faults.support import wait_for_other_sessions_to_end
from workflows.health import cluster_state

pytestmark = [pytest.mark.cluster, pytest.mark.postgres]

SCHEDULES = [f"faults.twice-{n}" for n in range(4)]


def test_two_clusters_run_each_due_schedule_once(qcluster, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip(
            "SQLite: a second qcluster is refused at start (tests/workflows/test_single_cluster_on_sqlite.py)"
        )
    runs = tmp_path / "runs.txt"
    due = timezone.now() - dt.timedelta(seconds=1)
    Schedule.objects.exclude(name__in=SCHEDULES).update(next_run=timezone.now() + dt.timedelta(days=1))
    for name in SCHEDULES:
        Schedule.objects.create(
            name=name,
            func="tests.faults.tasks.record_run",
            args=repr((str(runs), name)),
            schedule_type=Schedule.MINUTES,
            minutes=1,
            repeats=-1,
            next_run=due,
        )

    other = type(qcluster)()
    other.log_path = qcluster.log_path.with_name(qcluster.log_path.stem + "-second.log")
    try:
        # Started together, so that their schedulers' passes (30 s after start) fall together.
        def start_other():
            try:
                other.start()
            finally:
                connections.close_all()  # this thread's own connection (it polled the heartbeat)

        second = threading.Thread(target=start_other)
        started = time.monotonic()
        second.start()
        qcluster.start()
        second.join()
        qcluster.wait_until(lambda: cluster_state()["clusters"] == 2, timeout=30, what="two clusters")
        qcluster.wait_until(
            lambda: runs.exists() and len(set(runs.read_text().split()[::2])) == len(SCHEDULES),
            timeout=60,
            what="every schedule to run",
        )
        # Both schedulers pass about 30 s after their cluster started: wait until both have.
        time.sleep(max(0.0, 40 - (time.monotonic() - started)))
        assert other.process.poll() is None and qcluster.process.poll() is None
    finally:
        other.stop(sig=signal.SIGKILL)
        qcluster.stop(sig=signal.SIGKILL)
        wait_for_other_sessions_to_end()

    lines = [line.split() for line in runs.read_text().splitlines()]
    assert Counter(name for name, _pid in lines) == Counter(SCHEDULES)
    for name in SCHEDULES:
        schedule = Schedule.objects.get(name=name)
        assert schedule.next_run > timezone.now()  # moved on once, one minute ahead
        assert Task.objects.filter(group=name).count() == 1
    print(f"runs by worker pid: {Counter(pid for _name, pid in lines)}")
