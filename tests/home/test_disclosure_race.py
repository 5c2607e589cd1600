"""The scheduled drafter and a manual "draft now" for the same day fire together (item 27)."""

import datetime as dt
import threading

import pytest

from django.db import connection

from home.ledger import services
from home.ledger.models import DisclosurePage, DisclosureRecord
from tests.home import ledger_support as files

DAY = dt.date(2020, 2, 3)


@pytest.mark.django_db(transaction=True)
def test_two_drafts_of_the_same_day_at_once_make_one_page_and_one_moderation(users):
    files.ledger_site()
    files.add_cash("XJ001", DAY)
    barrier = threading.Barrier(2)
    errors = []

    def draft():
        try:
            barrier.wait(timeout=10)
            services.draft_disclosure(DAY)
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=draft) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    page = DisclosurePage.objects.get(disclosure_date=DAY)
    from wagtail.models import WorkflowState

    assert WorkflowState.objects.filter(object_id=str(page.pk), status="in_progress").count() == 1
    files.approve(page, users["leadership"])
    assert DisclosureRecord.objects.filter(disclosure_date=DAY).count() == 1
