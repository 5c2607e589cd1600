"""The anonymous page cache (home/page_cache.py): hits run no SQL, logged-in users and previews are
never served or stored, and every change the public can see invalidates it."""

import datetime as dt

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from home import page_cache
from home.ledger import services
from tests.conftest import TEST_PASSWORD
from tests.home import factories
from tests.home import ledger_support as files
from workflows import roles

pytestmark = pytest.mark.django_db

D1 = dt.date(2020, 2, 3)
PUBLIC_URLS = (
    "/",
    "/appeal/",
    "/channels/",
    "/disclosures/",
    "/disclosures/2020-02-03/",
    "/disclosures/2020-02-03/?cash_after=XJ001",
    "/api/disclosures/",
    "/api/disclosures/2020-02-03.json",
    "/api/disclosures/2020-02-03.csv",
)


@pytest.fixture(autouse=True)
def cache_on(settings):
    settings.PAGE_CACHE = True
    settings.PAGE_CACHE_SECONDS = 300


@pytest.fixture
def site(users):
    return files.published_site(users, D1)


def get(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response


def test_a_second_anonymous_request_is_served_from_the_cache_without_any_query(
    site, client, django_assert_num_queries
):
    for url in PUBLIC_URLS:
        first = get(client, url)
        assert first[page_cache.HEADER] == "miss", url
        with django_assert_num_queries(0):
            second = get(client, url)
        assert second[page_cache.HEADER] == "hit", url
        assert second.content == first.content, url
        assert second["Content-Type"] == first["Content-Type"], url
        for header in ("Content-Security-Policy", "Content-Language", "X-Frame-Options", "Vary"):
            assert second.get(header) == first.get(header), (url, header)


def test_logged_in_users_are_never_served_nor_stored_a_cached_copy(site, client, users):
    assert client.login(username=users[roles.COMMUNICATIONS].username, password=TEST_PASSWORD)
    for url in ("/", "/appeal/"):
        logged_in = get(client, url)
        assert page_cache.HEADER not in logged_in
        with CaptureQueriesContext(connection) as queries:
            get(client, url)
        assert len(queries) > 0  # rendered for this user, not read from the cache
    anonymous = client.__class__()
    fresh = get(anonymous, "/")
    assert fresh[page_cache.HEADER] == "miss"  # nothing the logged-in user saw was stored
    assert "userbar" not in fresh.content.decode()

    # A cached anonymous copy is not handed to a logged-in user either.
    get(anonymous, "/channels/")
    assert get(anonymous, "/channels/")[page_cache.HEADER] == "hit"
    assert page_cache.HEADER not in get(client, "/channels/")


def test_publishing_a_page_invalidates_the_cache(site, client):
    get(client, "/appeal/")
    assert get(client, "/appeal/")[page_cache.HEADER] == "hit"
    appeal = site["appeal"]
    appeal.lead = "新的导语：请通过官方渠道捐赠。"
    factories.publish(appeal)
    response = get(client, "/appeal/")
    assert response[page_cache.HEADER] == "miss"
    assert "新的导语：请通过官方渠道捐赠。" in response.content.decode()


def test_unpublishing_a_page_invalidates_the_cache(site, client):
    get(client, "/appeal/")
    site["appeal"].unpublish()
    assert client.get("/appeal/").status_code == 404


def test_publishing_a_donation_channel_snippet_invalidates_the_cache(site, client):
    for url in ("/", "/channels/"):
        get(client, url)
    factories.DonationChannelFactory(name="新开通的红十字会专户")
    for url in ("/", "/channels/"):
        response = get(client, url)
        assert response[page_cache.HEADER] == "miss", url
        assert "新开通的红十字会专户" in response.content.decode(), url


def test_unpublishing_or_deleting_a_donation_channel_invalidates_the_cache(site, client):
    channel = factories.DonationChannelFactory(name="即将停用的专户")
    assert "即将停用的专户" in get(client, "/channels/").content.decode()
    channel.unpublish()
    assert "即将停用的专户" not in get(client, "/channels/").content.decode()
    doomed = factories.DonationChannelFactory(name="将被删除的专户")
    assert "将被删除的专户" in get(client, "/channels/").content.decode()
    assert get(client, "/channels/")[page_cache.HEADER] == "hit"
    doomed.delete()
    assert "将被删除的专户" not in get(client, "/channels/").content.decode()
    assert get(client, "/channels/")[page_cache.HEADER] == "hit"


def test_a_ledger_import_invalidates_the_cache(site, client, users):
    for url in ("/", "/api/disclosures/"):
        get(client, url)
        assert get(client, url)[page_cache.HEADER] == "hit"
    data = files.ledger_workbook(cash=[files.cash_row(number="XJ900", day="2020-02-05")])
    batch = services.import_ledger_file(files.as_file(data), "ledger.xlsx", user=users[roles.COMMUNICATIONS])
    assert batch.status == "done", batch.message
    for url in ("/", "/api/disclosures/"):
        assert get(client, url)[page_cache.HEADER] == "miss", url


def test_a_dry_run_import_leaves_the_cache_alone(site, client, users):
    get(client, "/")
    data = files.ledger_workbook(cash=[files.cash_row(number="XJ901", day="2020-02-05")])
    services.import_ledger_file(files.as_file(data), "ledger.xlsx", dry_run=True)
    assert get(client, "/")[page_cache.HEADER] == "hit"


def test_publishing_a_disclosure_invalidates_the_cache(site, client, users):
    before = get(client, "/api/disclosures/")
    assert get(client, "/api/disclosures/")[page_cache.HEADER] == "hit"
    files.add_cash("XJ003", dt.date(2020, 2, 4), "300.00")
    files.approve(services.draft_disclosure(dt.date(2020, 2, 4)), users[roles.LEADERSHIP])
    after = get(client, "/api/disclosures/")
    assert after[page_cache.HEADER] == "miss"
    assert "2020-02-04" in after.content.decode() and "2020-02-04" not in before.content.decode()


def test_a_donor_withdrawing_consent_is_not_outlived_by_a_cached_page(site, client):
    from home.ledger.models import LedgerEntry

    url = "/disclosures/2020-02-03/"
    assert "欧阳**" in get(client, url).content.decode()
    services.anonymise_donor(LedgerEntry.objects.get(number="XJ002").donor)
    html = get(client, url).content.decode()
    assert "欧阳**" not in html and "爱心人士" in html


def test_a_preview_is_neither_served_from_nor_stored_in_the_cache(site, client, users):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

    appeal = site["appeal"]
    get(client, "/appeal/")
    editor = client.__class__()
    editor.force_login(users[roles.COMMUNICATIONS])
    url = f"/admin/pages/{appeal.pk}/edit/preview/"
    data = nested_form_data(
        {
            "title": appeal.title,
            "slug": appeal.slug,
            "lead": "预览中的导语",
            "body": streamfield([]),
            "issuer": appeal.issuer,
            "issued_on": appeal.issued_on.isoformat(),
            "signature": appeal.signature,
            "state": appeal.state,
            "closed_notice": "",
            "channel_links": inline_formset([]),
            "comments": inline_formset([]),
            "seo_title": "",
            "search_description": "",
            "go_live_at": "",
            "expire_at": "",
        }
    )
    posted = editor.post(url, data)
    assert posted.status_code == 200 and page_cache.HEADER not in posted
    preview = editor.get(url)
    assert preview.status_code == 200 and page_cache.HEADER not in preview
    assert "预览中的导语" in preview.content.decode()
    public = get(client, "/appeal/")
    assert public[page_cache.HEADER] == "hit"
    assert "预览中的导语" not in public.content.decode()


def test_the_channel_check_form_with_its_csrf_token_is_never_cached(site, client):
    for _attempt in range(2):
        response = get(client, "/check/")
        assert page_cache.HEADER not in response
        assert "csrfmiddlewaretoken" in response.content.decode()


def test_a_page_that_sets_a_cookie_is_not_stored(site, client, settings):
    # Without the exclusion the channel check form is rendered with a token and sets the cookie.
    settings.PAGE_CACHE_EXCLUDE = ()
    response = get(client, "/check/")
    assert "csrftoken" in response.cookies
    assert page_cache.HEADER not in get(client, "/check/")


def test_each_language_has_its_own_cached_copy(site, client):
    chinese = get(client, "/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    english = get(client, "/", HTTP_ACCEPT_LANGUAGE="en")
    assert english[page_cache.HEADER] == "miss"
    assert english.content != chinese.content
    assert get(client, "/", HTTP_ACCEPT_LANGUAGE="en").content == english.content
    assert get(client, "/", HTTP_ACCEPT_LANGUAGE="zh-hans").content == chinese.content


def test_posts_and_unknown_query_strings_bypass_the_cache(site, client):
    get(client, "/disclosures/")
    assert page_cache.HEADER not in client.get("/disclosures/?receipt=XJ001")
    assert page_cache.HEADER not in client.get("/?utm_source=spam")
    assert page_cache.HEADER not in client.post("/appeal/")


def test_a_generation_bumped_by_another_process_is_honoured_by_this_ones_local_copy(site, client):
    get(client, "/")
    assert get(client, "/")[page_cache.HEADER] == "hit"
    # What an import in the qcluster process does: a new generation in the shared cache only.
    page_cache.page_cache().set(page_cache.GENERATION_KEY, "from-another-process", timeout=None)
    assert get(client, "/")[page_cache.HEADER] == "miss"


def test_entries_expire_after_the_configured_seconds(site, client, settings):
    settings.PAGE_CACHE_SECONDS = 0
    assert get(client, "/")[page_cache.HEADER] == "miss"
    assert get(client, "/")[page_cache.HEADER] == "miss"


def test_the_setting_turns_the_cache_off(site, client, settings):
    settings.PAGE_CACHE = False
    for _attempt in range(2):
        assert page_cache.HEADER not in get(client, "/")
