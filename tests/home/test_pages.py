"""Public pages render their content, hide paused channels, escape editor payloads, and keep a
constant query count however many channels there are."""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from home.models import AppealState, ChannelStatus
from tests.home import factories

pytestmark = pytest.mark.django_db


def _queries(client, url):
    client.get(url)  # warm caches that are per process, not per request (site root, content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_the_home_page_shows_the_appeal_totals_channels_and_a_donate_button(client):
    bank = factories.DonationChannelFactory(name="慈善总会专户", account_number="6222021001042368117")
    home, appeal, _channels_page = factories.build_site([bank])
    html = client.get("/").content.decode()
    assert "抗击疫情 爱心捐赠" in html
    assert appeal.lead in html
    assert "累计到账资金" in html and '<dd class="total-cash">0.00</dd>' in html
    assert "慈善总会专户" in html
    # Grouped in fours for reading aloud; the copy button carries the bare digits.
    assert "6222 0210 0104 2368 117" in html
    assert 'data-copy="6222021001042368117"' in html
    assert 'class="button button-donate" href="/channels/"' in html


def test_the_appeal_page_renders_its_stream_blocks_and_signature(client):
    channel = factories.OnlineChannelFactory(payment_url="https://pay.example.gov.cn/give")
    _home, appeal, channels_page = factories.build_site([channel])
    appeal.body = [
        {"type": "paragraph", "value": "<p>一方有难，八方支援。</p>"},
        {"type": "quote", "value": {"text": "众志成城", "attribution": "市民政局"}},
        {
            "type": "call_to_action",
            "value": {"text": "立即捐赠", "page": channels_page.pk, "description": ""},
        },
    ]
    factories.publish(appeal)
    html = client.get("/appeal/").content.decode()
    assert "一方有难，八方支援。" in html
    assert "<blockquote" in html and "众志成城" in html
    assert "立即捐赠" in html
    assert "市民政局　市慈善总会" in html
    assert "2026年11月20日" in html
    # The payment URL is shown by its domain, with a server-generated QR code of known size.
    assert ">pay.example.gov.cn</a>" in html
    assert f"/channels/qr/{channel.pk}-{channel.qr_digest}.png" in html
    assert 'width="' in html.split('class="qr"')[1].split(">")[0]


def test_a_closed_appeal_shows_a_banner_and_hides_the_call_to_action(client):
    channel = factories.DonationChannelFactory()
    _home, appeal, channels_page = factories.build_site([channel])
    appeal.state = AppealState.CLOSED
    appeal.closed_notice = "本次募捐已于11月30日结束"
    appeal.body = [
        {"type": "call_to_action", "value": {"text": "立即捐赠", "page": channels_page.pk, "description": ""}}
    ]
    factories.publish(appeal)
    html = client.get("/appeal/").content.decode()
    assert "本次募捐已于11月30日结束" in html
    assert "立即捐赠" not in html
    assert channel.name not in html


def test_the_channels_page_lists_active_channels_grouped_by_kind(client):
    factories.DonationChannelFactory(name="银行专户甲")
    factories.OnlineChannelFactory(name="网上捐赠平台")
    factories.HotlineChannelFactory(name="咨询热线")
    factories.build_site()
    html = client.get("/channels/").content.decode()
    headings = [h for h in ("银行转账", "网络/手机支付", "捐赠热线") if f">{h}</h2>" in html]
    assert headings == ["银行转账", "网络/手机支付", "捐赠热线"]
    assert html.index("银行专户甲") < html.index("网上捐赠平台") < html.index("咨询热线")


def test_paused_and_unpublished_channels_disappear_from_every_public_page(client):
    shown = factories.DonationChannelFactory(name="正常专户")
    paused = factories.DonationChannelFactory(name="暂停专户")
    draft = factories.DonationChannelFactory(name="草稿专户", publish=False)
    factories.build_site([shown, paused, draft])
    paused.status = ChannelStatus.PAUSED
    paused.pause_reason = "账户年检"
    paused.save_revision().publish()
    for url in ("/", "/appeal/", "/channels/"):
        html = client.get(url).content.decode()
        assert "正常专户" in html, url
        assert "暂停专户" not in html, url
        assert "草稿专户" not in html, url


@pytest.mark.parametrize("url", ["/", "/appeal/", "/channels/"])
def test_the_query_count_of_a_page_does_not_grow_with_the_number_of_channels(client, url):
    few = [factories.DonationChannelFactory(), factories.OnlineChannelFactory()]
    factories.build_site(few)
    small = _queries(client, url)
    many = [factories.DonationChannelFactory() for _ in range(4)] + [
        factories.OnlineChannelFactory() for _ in range(4)
    ]
    from home.models import AppealChannel, AppealPage

    appeal = AppealPage.objects.get()
    for order, channel in enumerate(many, start=len(few)):
        appeal.channel_links.add(AppealChannel(channel=channel, sort_order=order))
    factories.publish(appeal)
    large = _queries(client, url)
    html = client.get(url).content.decode()
    assert all(channel.name in html for channel in many)
    assert large == small


def test_an_uploaded_qr_image_is_served_as_a_rendition_with_width_and_height(client):
    channel = factories.OnlineChannelFactory(payment_url="", qr_image=factories.qr_image())
    factories.build_site([channel])
    html = client.get("/channels/").content.decode()
    img = html.split('class="qr"')[0].rsplit("<img", 1)[1] + html.split('class="qr"')[1].split(">")[0]
    assert "/media/images/" in img
    assert 'width="' in img and 'height="' in img


def test_the_appeal_stream_offers_no_raw_html_block():
    from wagtail.blocks import RawHTMLBlock

    from home.blocks import AppealStreamBlock

    assert not any(isinstance(block, RawHTMLBlock) for block in AppealStreamBlock().child_blocks.values())


def test_the_hero_image_is_a_picture_with_webp_and_jpeg_renditions_and_dimensions(client):
    import wagtail_factories

    home, _appeal, _channels_page = factories.build_site()
    home.hero_image = wagtail_factories.ImageFactory(title="志愿者")
    home.hero_alt = "志愿者在物资接收点搬运防护物资"
    factories.publish(home)
    html = client.get("/").content.decode()
    picture = html.split("<picture")[1].split("</picture>")[0]
    assert 'type="image/webp"' in picture
    assert 'alt="志愿者在物资接收点搬运防护物资"' in picture
    assert 'width="' in picture and 'height="' in picture


def test_a_hero_image_without_alt_text_is_refused():
    import wagtail_factories

    from django.core.exceptions import ValidationError

    home, _appeal, _channels_page = factories.build_site()
    home.hero_image = wagtail_factories.ImageFactory()
    with pytest.raises(ValidationError) as excinfo:
        home.full_clean()
    assert "hero_alt" in excinfo.value.message_dict


def test_a_channel_preview_renders_the_draft_card(client, users):
    from django.urls import reverse

    from tests.conftest import TEST_PASSWORD
    from tests.home.admin_forms import channel_form_data
    from workflows import roles

    channel = factories.DonationChannelFactory()
    assert client.login(username=users[roles.COMMUNICATIONS].username, password=TEST_PASSWORD)
    url = reverse("wagtailsnippets_home_donationchannel:preview_on_edit", args=[channel.pk])
    assert client.post(url, channel_form_data(channel, name="预览中的名称")).json()["is_valid"]
    html = client.get(url).content.decode()
    assert "预览中的名称" in html
    assert "预览中的名称" not in client.get("/channels/").content.decode()


def test_the_cash_total_is_grouped_by_thousands():
    from decimal import Decimal

    from home.templatetags.home_tags import yuan

    assert yuan(Decimal("618086.4")) == "618,086.40"
