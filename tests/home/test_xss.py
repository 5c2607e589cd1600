"""Stored XSS (RELIABILITY item 10): payloads saved through the real admin forms come out inert on
the public pages, in the API, in admin listings and in the history."""

import pytest

from django.urls import reverse

from wagtail.test.utils.form_data import rich_text, streamfield

from tests.conftest import TEST_PASSWORD
from tests.home import factories
from tests.home.admin_forms import appeal_form_data, channel_form_data
from workflows import roles

pytestmark = pytest.mark.django_db

TITLE = '<img src=x onerror="alert(1)">'
DANGEROUS = ("<script>alert", "javascript:alert", "<img src=x", "<svg onload")


def assert_inert(html, where):
    for marker in DANGEROUS:
        assert marker not in html, f"{marker!r} in {where}"


def test_payloads_in_titles_rich_text_links_blocks_and_channel_names_are_neutralised(client, users):
    channel = factories.DonationChannelFactory()
    home, appeal, _channels_page = factories.build_site([channel])
    assert client.login(username=users[roles.LEADERSHIP].username, password=TEST_PASSWORD)

    body = streamfield(
        [
            ("paragraph", rich_text('<p><a href="javascript:alert(2)">链接</a> 正文</p>')),
            ("quote", {"text": "<script>alert(4)</script>", "attribution": '"><svg onload=alert(5)>'}),
        ]
    )
    response = client.post(
        reverse("wagtailadmin_pages:edit", args=[appeal.pk]),
        appeal_form_data(
            appeal, action="action-publish", title=TITLE, lead="<script>alert('lead')</script>", body=body
        ),
    )
    assert response.status_code == 302
    response = client.post(
        reverse("wagtailsnippets_home_donationchannel:edit", args=[channel.pk]),
        channel_form_data(channel, action="action-publish", name="<script>alert('name')</script>"),
    )
    assert response.status_code == 302

    appeal_html = client.get("/appeal/").content.decode()
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in appeal_html
    assert "&lt;script&gt;alert(4)&lt;/script&gt;" in appeal_html
    assert "正文" in appeal_html
    for url in ("/", "/appeal/", "/channels/"):
        assert_inert(client.get(url).content.decode(), url)
    # The API returns plain-text fields as JSON data (escaping is the front end's job), but its
    # rich text is the same sanitised HTML: no script links.
    api = client.get(f"/api/v2/pages/{appeal.pk}/")
    assert api["Content-Type"] == "application/json"
    assert "javascript:" not in api.content.decode()
    # Admin listing, history and the snippet listing (confirmation messages render on these too).
    for url in (
        reverse("wagtailadmin_explore", args=[home.pk]),
        reverse("wagtailadmin_pages:history", args=[appeal.pk]),
        reverse("wagtailsnippets_home_donationchannel:list"),
        reverse("wagtailsnippets_home_donationchannel:history", args=[channel.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url)
