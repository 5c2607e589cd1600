"""seed_demo's public content: one channel of each kind and the page tree `/`, `/appeal/`, `/channels/`."""

import io

import pytest

from django.core.management import call_command

from home.models import AppealPage, ChannelKind, DonationChannel

pytestmark = pytest.mark.django_db


def test_seed_demo_builds_the_public_site_with_one_live_channel_of_each_kind(client):
    call_command("seed_demo", stdout=io.StringIO())
    assert sorted(DonationChannel.objects.public().values_list("kind", flat=True)) == sorted(
        ChannelKind.values
    )
    for url, text in (("/", "大爱无疆"), ("/appeal/", "共克时艰"), ("/channels/", "物资接收点")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
    appeal = AppealPage.objects.get()
    assert appeal.live and len(appeal.channels) == 3
    call_command("seed_demo", stdout=io.StringIO())
    assert DonationChannel.objects.count() == len(ChannelKind.values)
