"""HTTP caching of public pages and open data (issue #16 item 4, home/page_cache.py): public
responses carry Cache-Control public/s-maxage with ETag and Last-Modified and answer conditional GETs
with 304 before any SQL; signed-in and admin responses are never public; every public change purges
the frontend cache, checked against a real HTTP server receiving PURGE requests."""

import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from django.utils.cache import get_max_age

from home import page_cache
from home.ledger import services
from tests.home import factories
from tests.home import ledger_support as files
from workflows import roles

D1 = dt.date(2020, 2, 3)
HTTP_BACKEND = "wagtail.contrib.frontend_cache.backends.HTTPBackend"
FULL_URLS = (
    "/",
    "/appeal/",
    "/channels/",
    "/disclosures/",
    "/disclosures/2020-02-03/",
    "/api/disclosures/",
    "/api/disclosures/2020-02-03.json",
    "/api/disclosures/2020-02-03.csv",
)


@pytest.fixture
def site(db, users):
    return files.published_site(users, D1)


def directives(response):
    return {part.strip().split("=")[0]: part.strip() for part in response.get("Cache-Control", "").split(",")}


def assert_public(response, s_maxage):
    cache_control = directives(response)
    assert "public" in cache_control and "private" not in cache_control, response.get("Cache-Control")
    assert cache_control["s-maxage"] == f"s-maxage={s_maxage}"
    assert get_max_age(response) == 60


def assert_never_public(response, what):
    cache_control = response.get("Cache-Control", "")
    assert "public" not in cache_control, (what, cache_control)
    assert "private" in cache_control or "no-store" in cache_control or "no-cache" in cache_control, (
        what,
        cache_control,
    )


@pytest.mark.django_db
def test_public_pages_and_open_data_are_cacheable_with_validators(site, client):
    for url in FULL_URLS:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_public(response, 600)
        assert response["ETag"].startswith('"') and response["Last-Modified"].endswith("GMT"), url
        assert "Accept-Language" in response["Vary"], url
    # Paginated variants are not purged one by one: a short life in shared caches.
    assert_public(client.get("/disclosures/2020-02-03/?cash_after=XJ001"), 60)
    # A 404 of a public path too, so that a purge can replace a page that went away.
    missing = client.get("/no-such-page/")
    assert missing.status_code == 404
    assert directives(missing)["s-maxage"] == "s-maxage=60" and "ETag" not in missing


@pytest.mark.django_db
def test_a_conditional_get_is_answered_304_without_sql_until_a_public_change(
    site, client, users, django_assert_num_queries
):
    first = {url: client.get(url) for url in FULL_URLS}
    for url, response in first.items():
        with django_assert_num_queries(0):
            again = client.get(url, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304, url
        assert again["ETag"] == response["ETag"] and "public" in again["Cache-Control"]
        with django_assert_num_queries(0):
            since = client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
        assert since.status_code == 304, url
    # The English rendering has its own validator.
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert english["ETag"] != first["/"]["ETag"]
    assert (
        client.get("/", HTTP_IF_NONE_MATCH=first["/"]["ETag"], HTTP_ACCEPT_LANGUAGE="en").status_code == 200
    )

    # An anonymisation is a public change: every old validator is stale and the new page is sent.
    from home.ledger.models import LedgerEntry

    original = LedgerEntry.objects.get(number="XJ002")
    services.anonymise_donor(original.donor)
    old_etag = first["/disclosures/2020-02-03/"]["ETag"]
    fresh = client.get("/disclosures/2020-02-03/", HTTP_IF_NONE_MATCH=old_etag)
    assert fresh.status_code == 200
    assert "爱心人士" in fresh.content.decode() and "欧阳**" not in fresh.content.decode()
    assert fresh["ETag"] != old_etag


@pytest.mark.django_db
def test_the_receipt_look_up_and_the_check_form_are_not_public(site, client):
    receipt = client.get("/api/receipts/XJ001/")
    assert receipt.status_code == 200 and "XJ001" in receipt.content.decode()
    assert "public" not in receipt.get("Cache-Control", "") and "ETag" not in receipt
    check = client.get("/check/")
    assert check.status_code == 200
    assert_never_public(check, "/check/")
    # The admin, to a visitor not signed in: the redirect and the login page.
    for url in ("/admin/", "/admin/login/", "/django-admin/"):
        response = client.get(url)
        assert response.status_code in (200, 302), url
        assert_never_public(response, url)
    assert "登录" in client.get("/admin/login/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role",
    [roles.COMMUNICATIONS, roles.INSPECTOR, roles.RESPONSIBLE_UNIT, roles.LEADERSHIP, roles.ADMINISTRATOR],
)
def test_signed_in_responses_are_never_public(site, client, users, role):
    """Every role, on the public pages (which show them the user bar) and on the admin."""
    client.force_login(users[role])
    for url in (*FULL_URLS, "/admin/", "/admin/pages/", "/api/v2/pages/", "/api/receipts/XJ001/"):
        response = client.get(url)
        assert response.status_code in (200, 302), (role, url, response.status_code)
        assert_never_public(response, (role, url))
        assert "ETag" not in response or url.startswith("/admin/"), (role, url)
    # What they saw was their own page (the appeal's title), and a validator from an anonymous
    # visit does not get them a 304 of the anonymous copy.
    anonymous_etag = client.__class__().get("/appeal/")["ETag"]
    page = client.get("/appeal/", HTTP_IF_NONE_MATCH=anonymous_etag)
    assert page.status_code == 200 and site["appeal"].title in page.content.decode()
    assert_never_public(page, (role, "/appeal/ conditional"))


class PurgeLog:
    """A real HTTP server on 127.0.0.1, port 0, recording PURGE requests (path and Host)."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        log = self

        class Handler(BaseHTTPRequestHandler):
            def do_PURGE(self):  # noqa: N802 - the HTTP method's name
                with log.lock:
                    log.requests.append((self.headers.get("Host"), self.path))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def paths(self):
        with self.lock:
            return {path for _host, path in self.requests}

    def clear(self):
        with self.lock:
            self.requests.clear()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def purge_log():
    log = PurgeLog()
    yield log
    log.close()


@pytest.mark.django_db
def test_the_purge_covers_every_public_url_and_each_event_queues_one_task(
    site, purge_log, settings, users, django_capture_on_commit_callbacks
):
    from django_q.brokers import get_broker

    settings.WAGTAILFRONTENDCACHE = {
        "proxy": {"BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend", "LOCATION": purge_log.url}
    }
    page_cache.page_cache().delete(page_cache.PURGE_PENDING_KEY)
    assert page_cache.purge_frontend_cache() == len(purge_log.requests)
    assert {host for host, _path in purge_log.requests} == {"localhost"}
    assert set(FULL_URLS) | {"/api/disclosures/2020-02-03.xlsx"} <= purge_log.paths()

    broker = get_broker()

    def queued():  # the ORM broker's table or the Redis list, whichever is configured
        return broker.queue_size()

    before = queued()
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.invalidate()
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.invalidate()  # a burst of changes: one task, which reads the database when it runs
    assert queued() == before + 1
    page_cache.purge_frontend_cache()  # the task started: the next change queues another
    with django_capture_on_commit_callbacks(execute=True):
        page_cache.invalidate()
    assert queued() == before + 2


@pytest.mark.django_db(transaction=True)
def test_publish_correction_import_and_anonymisation_each_purge_through_the_task_cluster(
    purge_log, settings, users, qcluster
):
    """End to end: the change commits, a real qcluster runs the purge task, and the PURGE requests
    reach a real HTTP server; the page, open data and disclosure index are all named."""
    from home.ledger.models import LedgerEntry

    site = files.published_site(users, D1)
    qcluster.start(
        FRONTEND_CACHE_PURGE_URL=purge_log.url, PAGE_CACHE_DIR=settings.CACHES["pages"].get("LOCATION", "")
    )

    def expect_purge(what, paths):
        qcluster.wait_until(lambda: set(paths) <= purge_log.paths(), timeout=30, what=f"PURGE after {what}")
        # The task clears its pending mark before purging; wait for it so the next event queues anew.
        qcluster.wait_until(
            lambda: page_cache.page_cache().get(page_cache.PURGE_PENDING_KEY) is None,
            timeout=10,
            what="purge task started",
        )
        purge_log.clear()

    settings.WAGTAILFRONTENDCACHE = {
        "proxy": {"BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend", "LOCATION": purge_log.url}
    }
    page_cache.page_cache().delete(page_cache.PURGE_PENDING_KEY)
    purge_log.clear()

    appeal = site["appeal"]
    appeal.lead = "新的导语"
    factories.publish(appeal)
    expect_purge("publish", ["/appeal/", "/", "/disclosures/", "/api/disclosures/"])

    services.correct_entry(
        LedgerEntry.objects.get(number="XJ001"),
        number="XJ001C",
        entry_date=dt.date(2020, 2, 4),
        amount="900.00",
        reason="金额录入错误",
    )
    expect_purge("correction", ["/disclosures/2020-02-03/", "/api/disclosures/2020-02-03.json"])

    data = files.ledger_workbook(cash=[files.cash_row(number="XJ900", day="2020-02-05")])
    batch = services.import_ledger_file(
        files.as_file(data), "ledger.xlsx", user=users[roles.COMMUNICATIONS], run_async=False
    )
    assert batch.status == "done", batch.message
    expect_purge("import", ["/", "/api/disclosures/", "/disclosures/2020-02-03/"])

    services.anonymise_donor(LedgerEntry.objects.get(number="XJ002").donor)
    expect_purge("anonymisation", ["/disclosures/2020-02-03/", "/api/disclosures/2020-02-03.csv"])

    # A page leaving the public site is purged too, though it is no longer among the live pages.
    site["channels"].unpublish()
    expect_purge("unpublish", ["/channels/", "/", "/appeal/"])


@pytest.mark.django_db(transaction=True)
def test_the_documented_nginx_shape_caches_bypasses_signed_in_readers_and_refreshes_on_purge(
    live_server, users, settings, tmp_path
):
    """The bench's nginx configuration (the shape of docs/deploy.md) in front of the live server:
    a second anonymous read is a cache hit, a signed-in reader is never served the cached copy, and
    the purge after a publish refreshes the entry in place."""
    from urllib.parse import urlsplit

    from tests.bench.bench_proxy import Nginx, find_nginx

    binary = find_nginx()
    if binary is None:
        pytest.skip("nginx is not installed (Debian package nginx)")
    site = files.published_site(users, D1)
    with Nginx(binary, tmp_path / "nginx", urlsplit(live_server.url).port) as nginx:
        first = nginx.get("/appeal/")
        assert first[0] == 200 and first[1]["X-Cache-Status"] in ("MISS", "EXPIRED")
        hit = nginx.get("/appeal/")
        assert hit[1]["X-Cache-Status"] == "HIT" and hit[2] == first[2]
        english = nginx.get("/appeal/", headers={"Accept-Language": "en"})
        assert english[1]["X-Cache-Status"] == "BYPASS"

        from django.test import Client

        client = Client()
        client.force_login(users[roles.COMMUNICATIONS])
        cookie = f"sessionid={client.cookies['sessionid'].value}"
        signed_in = nginx.get("/appeal/", headers={"Cookie": cookie})
        assert signed_in[1]["X-Cache-Status"] == "BYPASS"
        assert "public" not in signed_in[1]["Cache-Control"]

        settings.WAGTAILFRONTENDCACHE = {"proxy": {"BACKEND": HTTP_BACKEND, "LOCATION": nginx.purge_url}}
        appeal = site["appeal"]
        appeal.lead = "刷新后的导语"
        factories.publish(appeal)
        assert "刷新后的导语" not in nginx.get("/appeal/")[2].decode()  # no purge yet: the cached copy
        page_cache.purge_frontend_cache()  # what the queued task runs
        fresh = nginx.get("/appeal/")
        assert fresh[1]["X-Cache-Status"] == "HIT" and "刷新后的导语" in fresh[2].decode()
