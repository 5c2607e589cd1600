"""kill -9 a qcluster (its whole process group, or only the worker) while it runs a transition
task or a ledger import; the work then completes exactly once (issue #9, RELIABILITY 12 and 14).

What recovers the task depends on the broker:
- ORM broker: the task row stays locked in the queue and is handed out again after `retry`.
- Redis broker: no receipts: the worker had popped the task, so it is gone. The app recovers it
  from the database: the reconciler re-queues a reported item not yet assigned, the ledger sweep
  re-queues an import stuck in pending/running.

The ORM case of a killed import (whole group) is tests/home/test_ledger_worker_kill.py, and a
transition task killed *after* its commit is tests/workflows/test_end_to_end.py; not repeated here.
"""

import datetime as dt
import os
import signal
from decimal import Decimal

import pytest
from django_q.models import Schedule
from django_q.tasks import async_task

from django.db.models import Count, Sum
from django.utils import timezone

from wagtail.models import ModelLogEntry

from home.ledger import services as ledger
from home.ledger.models import ImportBatch, ImportStatus, LedgerEntry
from snippets.models import Issue
from tests.home import ledger_support as files
from tests.workflows.factories import InstitutionFactory, IssueCategoryFactory, IssueFactory
from workflows import roles
from workflows.automation import reconcile
from workflows.models import Notification, StageTransition, TaskAttempt
from workflows.scheduling import ensure_schedules

pytestmark = [pytest.mark.cluster]

FAST_RETRY = "tests.workflows.qcluster_settings"  # one worker, timeout 4 s, retry 7 s
ONE_WORKER = "tests.faults.qcluster_settings"  # one worker, timeout 30 s, retry 40 s
IMPORT_ROWS = 2000


def kill(qcluster, target, worker_pid):
    if target == "group":
        qcluster.stop(sig=signal.SIGKILL)
    else:
        os.kill(worker_pid, signal.SIGKILL)


def cluster_worker_pids(qcluster):
    """The worker pids of this test's cluster (a cluster killed by the test before stays listed for a
    few seconds: its last heartbeat has not expired yet)."""
    from django_q.brokers import get_broker
    from django_q.status import Stat

    return [
        pid
        for stat in Stat.get_all(broker=get_broker())
        if stat.pid == qcluster.process.pid
        for pid in stat.workers
    ]


def the_worker_pid(qcluster):
    """The pid of the cluster's one worker, once its heartbeat (renewed every few hundred ms, kept
    3 s) lists it: under load a lookup can fall between two heartbeats."""
    pids = []

    def one_listed():
        pids[:] = cluster_worker_pids(qcluster)
        return len(pids) == 1

    qcluster.wait_until(one_listed, timeout=15, what="the cluster's heartbeat naming its one worker")
    return pids[0]


@pytest.mark.parametrize("target", ["group", "worker"])
def test_a_transition_task_killed_mid_move_completes_exactly_once(
    qcluster, users, tmp_path, task_queue, target
):
    unit = users[roles.RESPONSIBLE_UNIT]
    institution = InstitutionFactory()
    institution.responsible_users.add(unit)
    issue = IssueFactory(institution=institution, category=IssueCategoryFactory(default_deadline_days=3))
    task_queue.purge()  # only the killable variant of the task below
    marker = tmp_path / "runs.txt"
    async_task("tests.faults.tasks.transition_then_hang_once", issue.pk, str(marker))

    qcluster.start(DJANGO_SETTINGS_MODULE=FAST_RETRY)
    qcluster.wait_until(marker.exists, timeout=30, what="the move to be made (uncommitted)")
    worker_pid = int(marker.read_text().split()[1])
    kill(qcluster, target, worker_pid)

    # The move died with its transaction: nothing half-done.
    issue.refresh_from_db()
    assert issue.stage == "reported"
    assert not StageTransition.objects.filter(issue=issue).exists()

    if task_queue.is_redis:
        # Observed: the task is gone (popped by the worker, no receipt). The reconciler finds the
        # reported item in the database and queues the real task again.
        assert task_queue.size() == 0
        Issue.objects.filter(pk=issue.pk).update(created_at=timezone.now() - dt.timedelta(minutes=5))
        assert reconcile()["auto_assign_requeued"] == 1
    # ORM: observed: the task row is still in the queue, locked; handed out again after retry.
    if target == "group":
        qcluster.start(DJANGO_SETTINGS_MODULE=FAST_RETRY)
    key = f"auto_assign:{issue.pk}"
    qcluster.wait_until(
        lambda: TaskAttempt.objects.filter(key=key, state="done").exists(), timeout=45, what="the rerun"
    )
    qcluster.wait_until(
        lambda: Notification.objects.filter(issue=issue).exists(), timeout=30, what="the notification"
    )
    qcluster.wait_until(lambda: task_queue.size() == 0, timeout=30, what="an empty queue")

    issue.refresh_from_db()
    assert (issue.stage, issue.responsible_person) == ("assigned", unit)
    move = StageTransition.objects.get(issue=issue)
    assert ModelLogEntry.objects.filter(object_id=str(issue.pk), action__contains="assign").count() == 1
    assert list(Notification.objects.filter(issue=issue).values_list("key", "recipient")) == [
        (f"transition:{move.pk}", unit.pk)
    ]
    assert TaskAttempt.objects.get(key=key).attempts == 1  # the killed attempt rolled back too
    if not task_queue.is_redis:
        assert "rerun" in marker.read_text()  # redelivered by the broker, not re-queued by the app
    qcluster.stop(sig=signal.SIGKILL)  # checked; a graceful stop would only cost time


def start_import(qcluster, settings_module):
    batch = ledger.store_upload(files.as_file(files.big_cash_workbook(IMPORT_ROWS)), "big.xlsx")
    ledger.queue_import(batch)  # autocommit: queued at once
    qcluster.start(DJANGO_SETTINGS_MODULE=settings_module)
    qcluster.wait_until(
        lambda: ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.RUNNING).exists(),
        timeout=30,
        what="the import to start",
    )
    return batch


def assert_imported_once(batch, attempts):
    batch.refresh_from_db()
    assert (batch.status, batch.cash_count, batch.attempts) == (ImportStatus.DONE, IMPORT_ROWS, attempts)
    totals = LedgerEntry.objects.aggregate(n=Count("pk"), amount=Sum("amount"))
    assert totals == {"n": IMPORT_ROWS, "amount": Decimal("100.50") * IMPORT_ROWS}
    assert LedgerEntry.objects.values("number").distinct().count() == IMPORT_ROWS


def test_an_import_whose_cluster_was_killed_is_requeued_by_the_scheduled_sweep_on_redis(qcluster, task_queue):
    if not task_queue.is_redis:
        pytest.skip("ORM broker: redelivered by the broker (tests/home/test_ledger_worker_kill.py)")
    batch = start_import(qcluster, ONE_WORKER)
    qcluster.stop(sig=signal.SIGKILL)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.RUNNING, "the import finished before the kill; nothing was tested"
    assert LedgerEntry.objects.count() == 0  # one transaction: nothing half-written
    # Observed: the task is not in Redis any more; nothing would ever finish the batch.
    assert task_queue.size() == 0

    # An hour later (the sweep's window is retry + 60 s), a cluster starts and its schedule runs.
    hour_ago = timezone.now() - dt.timedelta(hours=1)
    ImportBatch.objects.filter(pk=batch.pk).update(created_at=hour_ago)
    TaskAttempt.objects.filter(key=f"ledger_import:{batch.pk}").update(last_started_at=hour_ago)
    ensure_schedules()
    Schedule.objects.exclude(name="ledger.requeue_stuck_imports").update(
        next_run=timezone.now() + dt.timedelta(days=1)
    )
    Schedule.objects.filter(name="ledger.requeue_stuck_imports").update(
        next_run=timezone.now() - dt.timedelta(seconds=1)
    )
    qcluster.start(DJANGO_SETTINGS_MODULE=ONE_WORKER)
    qcluster.wait_until(
        lambda: ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.DONE).exists(),
        timeout=75,
        what="the sweep to re-queue the import and the import to finish",
    )
    assert_imported_once(batch, attempts=2)
    assert "is stuck (its task was lost); re-queued" in qcluster.read_log()
    qcluster.stop(sig=signal.SIGKILL)


def test_an_import_whose_worker_was_killed_completes_once(qcluster, task_queue):
    batch = start_import(qcluster, ONE_WORKER)
    worker_pid = the_worker_pid(qcluster)
    os.kill(worker_pid, signal.SIGKILL)
    qcluster.wait_until(
        lambda: worker_pid not in cluster_worker_pids(qcluster) and len(cluster_worker_pids(qcluster)) == 1,
        timeout=30,
        what="the sentinel to replace the worker",
    )
    batch.refresh_from_db()
    assert batch.status == ImportStatus.RUNNING, "the import finished before the kill; nothing was tested"
    assert LedgerEntry.objects.count() == 0
    if task_queue.is_redis:
        # Observed: lost with the worker; the sweep (run here by hand) queues it again.
        assert task_queue.size() == 0
        assert ledger.requeue_stuck_imports(older_than=0) == [batch.pk]
    else:
        # Observed: still in the queue, locked; redelivered once `retry` has passed since delivery.
        from django_q.models import OrmQ

        assert OrmQ.objects.count() == 1
        OrmQ.objects.update(lock=timezone.now() - dt.timedelta(seconds=41))
    qcluster.wait_until(
        lambda: ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.DONE).exists(),
        timeout=60,
        what="the import to be run again",
    )
    assert_imported_once(batch, attempts=2)
    qcluster.wait_until(lambda: task_queue.size() == 0, timeout=30, what="an empty queue")
    qcluster.stop(sig=signal.SIGKILL)
