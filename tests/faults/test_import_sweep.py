"""The sweep that re-queues ledger imports whose task was lost (issue #9; Redis has no receipts).

Unit tests on the configured broker (ORM or Redis), without a cluster: what counts as stuck, that a
batch is re-queued once per window, and that the re-queued task completes the import once.
"""

import datetime as dt
from decimal import Decimal

import pytest

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from home.ledger import services, tasks
from home.ledger.models import ImportBatch, ImportStatus, LedgerEntry
from tests.home import ledger_support as files
from workflows.models import TaskAttempt
from workflows.scheduling import declared_schedules

pytestmark = pytest.mark.django_db

ROWS = 40


def upload(rows=ROWS, age_seconds=3600, start=1):
    batch = services.store_upload(files.as_file(files.big_cash_workbook(rows, start=start)), "big.xlsx")
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - dt.timedelta(seconds=age_seconds)
    )
    return batch


def queued_imports(task_queue):
    return [task["args"] for task in task_queue.tasks() if task["func"] == "home.ledger.tasks.import_batch"]


def test_a_batch_whose_task_was_lost_is_requeued_once_per_window_and_then_imports_once(task_queue):
    batch = upload()  # queued nowhere: its task was lost
    assert queued_imports(task_queue) == []

    assert services.requeue_stuck_imports() == [batch.pk]
    assert queued_imports(task_queue) == [(batch.pk,)]
    # A second sweep inside the window does not add a copy.
    assert services.requeue_stuck_imports() == []
    assert queued_imports(task_queue) == [(batch.pk,)]

    # The worker runs the re-queued task.
    assert tasks.import_batch(batch.pk) == {"batch": batch.pk, "status": ImportStatus.DONE}
    batch.refresh_from_db()
    assert (batch.status, batch.cash_count, batch.attempts) == (ImportStatus.DONE, ROWS, 1)
    assert LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] == Decimal("100.50") * ROWS
    # Finished: never re-queued again, and a stray copy of the task is a no-op.
    assert services.requeue_stuck_imports(older_than=0) == []
    assert tasks.import_batch(batch.pk)["status"] == ImportStatus.DONE
    assert LedgerEntry.objects.count() == ROWS


def test_young_batches_and_recently_started_ones_are_left_to_their_task(task_queue):
    young = upload(age_seconds=10)
    killed = upload(start=1000)
    # Started (the claim records the start) and then its worker was killed: running, no task.
    ImportBatch.objects.filter(pk=killed.pk).update(status=ImportStatus.RUNNING, attempts=1)
    services._import_activity(killed.pk)
    assert services.requeue_stuck_imports() == []

    # Once the start is older than the window, it is stuck.
    TaskAttempt.objects.filter(key=f"ledger_import:{killed.pk}").update(
        last_started_at=timezone.now() - dt.timedelta(seconds=settings.Q_CLUSTER["retry"] + 120)
    )
    assert services.requeue_stuck_imports() == [killed.pk]
    assert young.pk not in [args[0] for args in queued_imports(task_queue)]


def test_finished_batches_are_never_requeued(task_queue):
    for status in (ImportStatus.DONE, ImportStatus.FAILED):
        batch = upload()
        ImportBatch.objects.filter(pk=batch.pk).update(status=status)
    assert services.requeue_stuck_imports(older_than=0) == []
    assert queued_imports(task_queue) == []


def test_a_batch_that_keeps_dying_is_failed_by_the_attempt_limit_not_requeued_for_ever(task_queue):
    batch = upload()
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.RUNNING, attempts=services.MAX_IMPORT_ATTEMPTS
    )
    assert services.requeue_stuck_imports() == [batch.pk]
    tasks.import_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert LedgerEntry.objects.count() == 0
    assert services.requeue_stuck_imports(older_than=0) == []


def test_the_sweep_is_a_declared_schedule_every_ten_minutes_and_takes_a_lock():
    spec = next(spec for spec in declared_schedules() if spec.name == "ledger.requeue_stuck_imports")
    assert (spec.func, spec.schedule_type, spec.minutes) == (
        "home.ledger.tasks.requeue_stuck_imports",
        "I",
        10,
    )
    assert tasks.requeue_stuck_imports() == {"requeued": []}
