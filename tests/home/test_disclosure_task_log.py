"""The scheduled auto-publish names its django-q2 task in the Wagtail log (RELIABILITY item 21)."""

import datetime as dt
import uuid

import pytest
from django_q.models import Schedule, Task
from django_q.signals import pre_execute

from django.utils import timezone

from wagtail.models import PageLogEntry

from home.ledger import tasks
from home.ledger.models import DisclosureRecord, LedgerSettings
from tests.home import ledger_support as files
from workflows.scheduling import ensure_schedules

SCHEDULE = "ledger.draft_previous_day"


def _auto_publish_yesterday():
    files.ledger_site()
    config = LedgerSettings.load()
    config.draft_hour = 0
    config.auto_publish = True
    config.save()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    files.add_cash("XJ001", yesterday)
    return yesterday


@pytest.mark.django_db
def test_a_publish_by_the_schedule_task_logs_no_user_and_the_task_id():
    _auto_publish_yesterday()
    task_id = uuid.uuid4().hex
    # What the worker sends right before running the function.
    pre_execute.send(
        sender="django_q",
        func=tasks.draft_previous_day,
        task={"id": task_id, "name": "alpha-bravo", "group": SCHEDULE},
    )
    result = tasks.draft_previous_day()
    assert result["drafted"] == (timezone.localdate() - dt.timedelta(days=1)).isoformat()

    entry = PageLogEntry.objects.get(action="ledger.disclosure.publish")
    assert entry.user is None
    assert entry.data["task_id"] == task_id
    assert entry.data["task_name"] == "alpha-bravo"
    assert entry.data["schedule"] == SCHEDULE
    # Wagtail's own entries of the same run share the task id as their uuid.
    page_entries = PageLogEntry.objects.filter(page_id=entry.page_id)
    assert page_entries.get(action="wagtail.publish").uuid == uuid.UUID(task_id)


@pytest.mark.django_db
def test_a_publish_outside_a_task_has_no_task_id(users):
    from home.ledger import services

    day = _auto_publish_yesterday()
    services.draft_disclosure(day, user=users["communications"], publish=True)
    entry = PageLogEntry.objects.get(action="ledger.disclosure.publish")
    assert entry.user == users["communications"]
    assert "task_id" not in entry.data


@pytest.mark.cluster
def test_the_real_scheduled_run_records_the_django_q_task_id(qcluster):
    _auto_publish_yesterday()
    ensure_schedules()
    Schedule.objects.exclude(name=SCHEDULE).update(next_run=timezone.now() + dt.timedelta(days=1))
    Schedule.objects.filter(name=SCHEDULE).update(next_run=timezone.now() - dt.timedelta(seconds=1))
    qcluster.start()
    qcluster.wait_until(
        lambda: Task.objects.filter(func="home.ledger.tasks.draft_previous_day", success=True).exists(),
        timeout=90,
        what="the scheduled disclosure task",
    )
    run = Task.objects.get(func="home.ledger.tasks.draft_previous_day")
    assert DisclosureRecord.objects.get().bypassed_moderation
    entry = PageLogEntry.objects.get(action="ledger.disclosure.publish")
    assert entry.user is None
    assert entry.data["task_id"] == run.id
    assert entry.data["task_name"] == run.name
    assert entry.data["schedule"] == SCHEDULE == run.group
