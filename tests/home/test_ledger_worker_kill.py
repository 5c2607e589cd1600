"""A worker killed in the middle of a ledger import (RELIABILITY item 12), with a real qcluster."""

import datetime as dt
import signal
import time
from decimal import Decimal

import pytest

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from home.ledger import services
from home.ledger.models import ImportBatch, ImportStatus, LedgerEntry
from tests.home import ledger_support as files

pytestmark = [pytest.mark.cluster]

ROWS = 2000


def test_a_killed_import_reruns_after_retry_and_stores_every_row_once(qcluster):
    if settings.REDIS_URL:
        pytest.skip(
            "ORM broker delivery (item 12): Redis has no receipts, so a killed worker's task is lost "
            "and the reconciler re-queues the work instead"
        )
    from django_q.models import OrmQ

    batch = services.store_upload(files.as_file(files.big_cash_workbook(ROWS)), "big.xlsx")
    services.queue_import(batch)  # autocommit: queued at once
    assert OrmQ.objects.count() == 1
    qcluster.start()
    qcluster.wait_until(
        lambda: ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.RUNNING).exists(),
        timeout=30,
        what="the import to start",
    )
    qcluster.stop(sig=signal.SIGKILL)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.RUNNING, "the import finished before the kill; nothing was tested"
    # The single import transaction died with the worker: nothing half-written.
    assert LedgerEntry.objects.count() == 0
    assert batch.attempts == 1

    # The ORM broker hands the task out again once `retry` seconds have passed since delivery.
    assert OrmQ.objects.count() == 1
    OrmQ.objects.update(lock=timezone.now() - dt.timedelta(seconds=1))
    assert settings.Q_CLUSTER["retry"] > settings.Q_CLUSTER["timeout"]
    qcluster.start()
    qcluster.wait_until(
        lambda: ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.DONE).exists(),
        timeout=60,
        what="the import to be re-run",
    )
    batch.refresh_from_db()
    assert batch.attempts == 2
    assert batch.cash_count == ROWS
    totals = LedgerEntry.objects.aggregate(n=Count("pk"), amount=Sum("amount"))
    assert totals == {"n": ROWS, "amount": Decimal("100.50") * ROWS}
    assert LedgerEntry.objects.values("number").distinct().count() == ROWS
    # Once done, another delivery is a no-op.
    time.sleep(0.5)
    assert services.run_batch(batch.pk).status == ImportStatus.DONE
    assert LedgerEntry.objects.count() == ROWS
