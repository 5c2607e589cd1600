"""Scheduled publishing with a real qcluster: the declared schedule runs Wagtail's publish_scheduled."""

import datetime

import pytest
from django_q.models import Schedule

from django.utils import timezone

from home.models import AppealPage, DonationChannel
from tests.home import factories
from workflows.scheduling import ensure_schedules


@pytest.mark.cluster
def test_the_schedule_publishes_a_channel_and_an_appeal_edit_whose_time_has_come(qcluster):
    go_live = timezone.now() - datetime.timedelta(seconds=30)
    channel = factories.DonationChannelFactory(publish=False, name="定时上线的专户")
    channel.go_live_at = go_live
    revision = channel.save_revision()
    revision.approved_go_live_at = go_live
    revision.save()
    _home, appeal, _channels_page = factories.build_site()
    draft = AppealPage.objects.get(pk=appeal.pk)
    draft.lead = "定时发布的新导语"
    draft.go_live_at = go_live
    page_revision = draft.save_revision(approved_go_live_at=go_live)
    assert page_revision.approved_go_live_at == go_live

    ensure_schedules()
    Schedule.objects.exclude(name="home.publish_scheduled").update(
        next_run=timezone.now() + datetime.timedelta(days=1)
    )
    Schedule.objects.filter(name="home.publish_scheduled").update(
        next_run=timezone.now() - datetime.timedelta(seconds=1)
    )
    qcluster.start()
    qcluster.wait_until(
        lambda: (
            DonationChannel.objects.get(pk=channel.pk).live
            and AppealPage.objects.get(pk=appeal.pk).lead == "定时发布的新导语"
        ),
        timeout=90,
        what="scheduled publishing",
    )
