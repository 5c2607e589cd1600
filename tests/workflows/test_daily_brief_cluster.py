"""The daily brief through a real qcluster: the schedule builds it, the dashboard button rebuilds it,
leadership is notified once."""

import datetime as dt

from django_q.models import Schedule

from django.urls import reverse
from django.utils import timezone

from wagtail.documents import get_document_model

from workflows import roles
from workflows.models import DailyBrief, Notification
from workflows.scheduling import ensure_schedules


def test_the_schedule_builds_the_brief_and_the_button_rebuilds_it_with_one_notification(
    qcluster, users, client
):
    today = timezone.localdate()
    ensure_schedules()
    Schedule.objects.exclude(name="workflows.daily_brief").update(
        next_run=timezone.now() + dt.timedelta(days=1)
    )
    Schedule.objects.filter(name="workflows.daily_brief").update(
        next_run=timezone.now() - dt.timedelta(seconds=1)
    )
    qcluster.start()

    def built(times):
        return DailyBrief.objects.filter(day=today, builds=times, document__isnull=False).exists()

    from workflows.calendar import is_workday

    if is_workday(today):
        qcluster.wait_until(lambda: built(1), timeout=90, what="scheduled brief")
        expected = 2
    else:  # the schedule skips a non-working day; the button builds regardless
        expected = 1

    client.force_login(users[roles.LEADERSHIP])
    assert client.post(reverse("workflows_brief:build")).status_code == 302
    qcluster.wait_until(lambda: built(expected), timeout=90, what="brief built from the dashboard button")

    assert get_document_model().objects.count() == 1
    leader_notes = Notification.objects.filter(key=f"daily-brief:{today:%Y-%m-%d}")
    assert list(leader_notes.values_list("recipient__username", flat=True)) == [
        users[roles.LEADERSHIP].username
    ]
