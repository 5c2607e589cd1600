"""Wagtail API v2: the appeal's StreamField, active channels with QR URLs, the totals; no drafts."""

import pytest

from home.models import AppealChannel, AppealPage, ChannelStatus
from tests.home import factories

pytestmark = pytest.mark.django_db


def detail(client, page):
    response = client.get(f"/api/v2/pages/{page.pk}/")
    assert response.status_code == 200
    return response.json()


def test_the_appeal_exposes_its_stream_and_its_active_channels_with_qr_urls(client):
    online = factories.OnlineChannelFactory(name="网上捐赠", payment_url="https://pay.example.gov.cn/x")
    bank = factories.DonationChannelFactory(name="银行专户", account_number="6222021001042368117")
    _home, appeal, _channels_page = factories.build_site([online, bank])
    appeal.body = [{"type": "quote", "value": {"text": "众志成城", "attribution": "市民政局"}}]
    factories.publish(appeal)
    data = detail(client, appeal)
    assert data["lead"] == appeal.lead
    assert data["body"][0]["type"] == "quote"
    assert data["body"][0]["value"] == {"text": "众志成城", "attribution": "市民政局"}
    assert [c["name"] for c in data["channels"]] == ["网上捐赠", "银行专户"]
    online_data, bank_data = data["channels"]
    assert online_data["qr_image_url"].endswith(f"/channels/qr/{online.pk}-{online.qr_digest}.png")
    assert online_data["payment_domain"] == "pay.example.gov.cn"
    assert bank_data["account_number"] == "6222 0210 0104 2368 117"
    assert bank_data["qr_image_url"] is None


def test_the_home_page_exposes_the_totals_and_channels(client):
    channel = factories.DonationChannelFactory()
    home, _appeal, _channels_page = factories.build_site([channel])
    data = detail(client, home)
    assert data["totals"] == {"cash_total": "0.00", "goods_batches": 0, "latest_disclosure": None}
    assert [c["id"] for c in data["channels"]] == [channel.pk]


def test_paused_and_draft_channels_vanish_from_the_api(client):
    shown = factories.DonationChannelFactory()
    paused = factories.DonationChannelFactory()
    draft = factories.DonationChannelFactory(publish=False)
    home, appeal, channels_page = factories.build_site([shown, paused, draft])
    paused.status = ChannelStatus.PAUSED
    paused.pause_reason = "账户年检"
    paused.save_revision().publish()
    for page in (home, appeal, channels_page):
        assert [c["id"] for c in detail(client, page)["channels"]] == [shown.pk]


def test_drafts_never_leak_through_the_api(client):
    home, appeal, _channels_page = factories.build_site()
    # A draft edit of a live page: the API keeps serving the published version.
    draft = AppealPage.objects.get(pk=appeal.pk)
    draft.lead = "尚未审批的草稿导语"
    draft.save_revision()
    # A page that was never published.
    unpublished = factories.AppealPageFactory.build(slug="draft-appeal", title="草稿倡议", live=False)
    home.add_child(instance=unpublished)
    unpublished.save_revision()

    listing = client.get("/api/v2/pages/?type=home.AppealPage&fields=lead").json()
    assert [item["id"] for item in listing["items"]] == [appeal.pk]
    assert listing["items"][0]["lead"] == appeal.lead
    assert client.get(f"/api/v2/pages/{unpublished.pk}/").status_code == 404
    assert "尚未审批的草稿导语" not in client.get(f"/api/v2/pages/{appeal.pk}/").content.decode()
    assert "草稿倡议" not in client.get("/api/v2/pages/?search=草稿").content.decode()


def test_an_uploaded_qr_image_is_exposed_as_a_rendition_url(client):
    channel = factories.OnlineChannelFactory(payment_url="", qr_image=factories.qr_image())
    _home, appeal, _channels_page = factories.build_site([channel])
    (data,) = detail(client, appeal)["channels"]
    assert data["qr_image_url"].startswith("http") and "/media/images/" in data["qr_image_url"]
    assert data["qr_image_url"].endswith(".png")


def _add_appeal(home, slug, channels):
    appeal = factories.AppealPageFactory.build(slug=slug)
    for order, channel in enumerate(channels):
        appeal.channel_links.add(AppealChannel(channel=channel, sort_order=order))
    home.add_child(instance=appeal)
    return factories.publish(appeal)


def test_a_listing_of_appeals_with_their_channels_costs_the_same_queries_for_two_or_six(
    client, django_assert_num_queries
):
    """Issue #8 measurement 5: `channels` is read once per response, not once per page."""
    online = factories.OnlineChannelFactory(name="网上捐赠", payment_url="https://pay.example.gov.cn/x")
    bank = factories.DonationChannelFactory(name="银行专户")
    paused = factories.DonationChannelFactory(
        name="已暂停", status=ChannelStatus.PAUSED, pause_reason="账户变更"
    )
    home, first, _channels_page = factories.build_site([online, bank])
    second = _add_appeal(home, "second", [bank, paused, online])
    url = "/api/v2/pages/?type=home.AppealPage&fields=channels&order=id&limit={}"

    def listing(limit):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(url.format(limit))
        assert response.status_code == 200
        return response.json()["items"], len(queries)

    listing(2)  # the first request also fills per-process caches (site, content types)
    items, queries_for_two = listing(2)
    # Each appeal keeps its own choice and order; a paused channel never shows.
    assert [[c["name"] for c in item["channels"]] for item in items] == [
        ["网上捐赠", "银行专户"],
        ["银行专户", "网上捐赠"],
    ]
    assert [item["id"] for item in items] == [first.pk, second.pk]
    for n in range(4):
        _add_appeal(home, f"more-{n}", [online])
    items, queries_for_six = listing(6)
    assert len(items) == 6
    assert [c["name"] for c in items[-1]["channels"]] == ["网上捐赠"]
    assert queries_for_six == queries_for_two


def _stock_wagtail_json(viewset, url):
    """The response of Wagtail's own viewset (as routed before issue #8) for `url`."""
    import json

    from django.test import RequestFactory

    from cms.api import api_router

    view = api_router.wrap_view(viewset.as_view({"get": "listing_view"}))
    response = view(RequestFactory().get(url))
    response.render()
    assert response.status_code == 200
    return json.loads(response.content)


def _count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.json(), len(queries)


def test_a_listing_with_all_fields_costs_the_same_queries_for_five_or_eleven_pages(client):
    """Issue #8 measurement 5: `fields=*` adds `meta.locale` and `meta.alias_of`, which Wagtail reads
    per page; they are now loaded once per listing, with the same JSON as Wagtail's own viewset."""
    from wagtail.api.v2.views import PagesAPIViewSet

    home, appeal, _channels_page = factories.build_site([factories.DonationChannelFactory()])
    _add_appeal(home, "second", [])
    appeal.create_alias(update_slug="appeal-alias")
    url = "/api/v2/pages/?fields=*&order=id&limit={}"

    _count_queries(client, url.format(5))  # fills per-process caches (site, content types)
    small, queries_for_five = _count_queries(client, url.format(5))
    assert len(small["items"]) == 5 and small["items"][-1]["meta"]["alias_of"]  # both hold the alias
    for n in range(6):
        _add_appeal(home, f"more-{n}", [])
    data, queries_for_eleven = _count_queries(client, url.format(11))
    assert len(data["items"]) == 11
    assert queries_for_eleven == queries_for_five
    alias = next(item for item in data["items"] if item["meta"]["alias_of"])
    assert alias["meta"]["alias_of"]["id"] == appeal.pk
    assert {item["meta"]["locale"] for item in data["items"]} == {"zh-hans"}
    assert data == _stock_wagtail_json(PagesAPIViewSet, url.format(11))
    # A typed listing and a one-page listing: the same JSON as Wagtail's too.
    for other in ("/api/v2/pages/?type=home.AppealPage&fields=*&limit=4", url.format(1)):
        assert client.get(other).json() == _stock_wagtail_json(PagesAPIViewSet, other)


def test_a_typed_listing_of_appeals_with_images_and_page_links_in_their_bodies_is_constant(client):
    """The body's image and page chooser blocks are converted for the whole listing at once (Wagtail
    batches them per page only), with the same JSON as Wagtail's own viewset."""
    from wagtail.api.v2.views import PagesAPIViewSet

    home, appeal, channels_page = factories.build_site()
    images = [factories.qr_image(title=f"图片{n}") for n in range(3)]

    def add(n):
        page = factories.AppealPageFactory.build(slug=f"with-body-{n}")
        page.body = [
            {"type": "image", "value": {"image": images[n % 3].pk, "caption": f"图{n}"}},
            {"type": "call_to_action", "value": {"text": "捐赠", "page": channels_page.pk}},
            {"type": "quote", "value": {"text": "众志成城", "attribution": "市民政局"}},
            {"type": "image", "value": {"image": images[(n + 1) % 3].pk, "caption": ""}},
        ]
        home.add_child(instance=page)
        return factories.publish(page)

    for n in range(2):
        add(n)
    url = "/api/v2/pages/?type=home.AppealPage&fields=*&order=id&limit={}"
    _count_queries(client, url.format(3))
    _data, queries_for_three = _count_queries(client, url.format(3))
    for n in range(2, 8):
        add(n)
    data, queries_for_nine = _count_queries(client, url.format(9))
    assert len(data["items"]) == 9
    assert queries_for_nine == queries_for_three
    body = data["items"][-1]["body"]
    assert [block["type"] for block in body] == ["image", "call_to_action", "quote", "image"]
    assert body[0]["value"]["image"] == images[7 % 3].pk
    assert body[1]["value"]["page"] == channels_page.pk
    assert data == _stock_wagtail_json(PagesAPIViewSet, url.format(9))
    assert client.get(f"/api/v2/pages/{appeal.pk}/").status_code == 200


@pytest.mark.parametrize("endpoint", ["images", "documents"])
def test_image_and_document_listings_read_all_their_tags_in_one_query(client, endpoint):
    """Wagtail's tags field queries each item's tags; a listing now reads them at once, in the same
    order (by name, in the database)."""
    from django.core.files.base import ContentFile

    from wagtail.documents import get_document_model
    from wagtail.documents.api.v2.views import DocumentsAPIViewSet
    from wagtail.images.api.v2.views import ImagesAPIViewSet

    def add(n):
        if endpoint == "images":
            item = factories.qr_image(title=f"图片{n}")
        else:
            item = get_document_model()(title=f"文件{n}")
            item.file.save(f"file-{n}.txt", ContentFile(b"x"), save=True)
        item.tags.add(*["防疫", "Bird", "apple", f"tag-{n}"][: n % 4 + 1])
        return item

    factories.build_site()
    for n in range(2):
        add(n)
    url = f"/api/v2/{endpoint}/?fields=*&limit=20"
    _count_queries(client, url)
    _data, queries_for_two = _count_queries(client, url)
    for n in range(2, 7):
        add(n)
    data, queries_for_seven = _count_queries(client, url)
    assert len(data["items"]) == 7
    assert queries_for_seven == queries_for_two
    assert data["items"][3]["meta"]["tags"] == ["Bird", "apple", "tag-3", "防疫"]
    stock = ImagesAPIViewSet if endpoint == "images" else DocumentsAPIViewSet
    assert data == _stock_wagtail_json(stock, url)
