"""Factories for the public site: donation channels (published by default) and the page tree."""

import datetime

import factory
import wagtail_factories
from factory.django import DjangoModelFactory

from wagtail.models import Page, Site

from home.models import AppealChannel, AppealPage, ChannelKind, ChannelsPage, DonationChannel, HomePage


class DonationChannelFactory(DjangoModelFactory):
    class Meta:
        model = DonationChannel
        skip_postgeneration_save = True

    kind = ChannelKind.BANK
    name = factory.Sequence(lambda n: f"捐赠专户{n}")
    account_name = "市慈善总会"
    bank_name = "中国工商银行市分行营业部"
    account_number = factory.Sequence(lambda n: f"6222 0210 {n:04d} 2368")

    @factory.post_generation
    def publish(obj, create, extracted, **kwargs):
        # Published unless publish=False: the public site shows only live channels.
        if not create:
            return
        if extracted is False:
            # As the admin's "save draft" leaves it: never published.
            obj.live = False
            obj.has_unpublished_changes = True
            obj.save()
            obj.save_revision()
        else:
            obj.save_revision().publish()
        obj.refresh_from_db()


class OnlineChannelFactory(DonationChannelFactory):
    kind = ChannelKind.ONLINE
    account_name = ""
    bank_name = ""
    account_number = ""
    payment_url = factory.Sequence(lambda n: f"https://pay.cishan.example.gov.cn/donate/{n}")


class HotlineChannelFactory(DonationChannelFactory):
    kind = ChannelKind.HOTLINE
    name = "捐赠咨询热线"
    account_name = ""
    bank_name = ""
    account_number = ""
    contact_phone = "0571 12345"


class HomePageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = HomePage

    title = "抗击疫情 爱心捐赠"
    slug = "home-test"
    intro = "<p>大爱无疆、共克时艰、战胜疫情。</p>"


class AppealPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = AppealPage

    title = "疫情防控募捐倡议书"
    slug = "appeal"
    lead = "大爱无疆、共克时艰、战胜疫情。"
    issuer = "市民政局"
    issued_on = datetime.date(2026, 11, 20)
    signature = "市民政局　市慈善总会"


class ChannelsPageFactory(wagtail_factories.PageFactory):
    class Meta:
        model = ChannelsPage

    title = "官方捐赠渠道"
    slug = "channels"


def qr_image(text="wxp://f2f0OfficialBureauCode", title="收款二维码"):
    """A Wagtail image of a real QR code, as an editor would upload it."""
    import io

    from django.core.files.images import ImageFile

    from wagtail.images import get_image_model

    from home.qr import qr_png

    png, _width, _height = qr_png(text)
    return get_image_model().objects.create(title=title, file=ImageFile(io.BytesIO(png), name="qr.png"))


def publish(page):
    page.save_revision().publish()
    page.refresh_from_db()
    return page


def build_site(channels=()):
    """Home page as the default site's root, with an appeal promoting `channels` and a channels page."""
    root = Page.get_first_root_node()
    if root is None:
        # A transactional test's flush removes Wagtail's root page and locale too.
        from django.conf import settings

        from wagtail.coreutils import get_supported_content_language_variant
        from wagtail.models import Locale

        Locale.objects.get_or_create(
            language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
        )
        root = Page.add_root(instance=Page(title="Root", slug="root"))
    home = publish(HomePageFactory(parent=root))
    Site.objects.filter(is_default_site=True).delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    appeal = AppealPageFactory.build()
    for order, channel in enumerate(channels):
        appeal.channel_links.add(AppealChannel(channel=channel, sort_order=order))
    home.add_child(instance=appeal)
    publish(appeal)
    channels_page = publish(ChannelsPageFactory(parent=home))
    return home, appeal, channels_page
