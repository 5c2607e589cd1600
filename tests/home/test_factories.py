import pytest

from home.models import AppealPage, ChannelsPage, DonationChannel, HomePage
from tests.home import factories

pytestmark = pytest.mark.django_db


def test_each_factory_builds_a_valid_live_object():
    bank = factories.DonationChannelFactory()
    online = factories.OnlineChannelFactory()
    hotline = factories.HotlineChannelFactory()
    for channel in (bank, online, hotline):
        channel.full_clean()
        assert channel.live
    home, appeal, channels_page = factories.build_site([bank, online])
    assert isinstance(home, HomePage) and home.live
    assert isinstance(appeal, AppealPage) and appeal.get_parent().pk == home.pk
    assert isinstance(channels_page, ChannelsPage) and channels_page.url == "/channels/"
    assert appeal.channels == [bank, online]
    assert DonationChannel.objects.public().count() == 3
