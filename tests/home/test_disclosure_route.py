"""The disclosure day's fixed cost (issue #16, item 2): the day page is routed in one query from the
home page (`HomePage.route`) and its view restrictions read in one (`DisclosurePage.
get_view_restrictions`), with the same answers as Wagtail's own routing and restriction check."""

import datetime as dt

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import Page, PageViewRestriction

from home.ledger import services
from home.ledger.models import DisclosureIndexPage, DisclosurePage
from tests.home import ledger_support as files

pytestmark = pytest.mark.django_db

D1 = dt.date(2020, 2, 3)
D2 = dt.date(2020, 2, 4)
URL = "/disclosures/2020-02-03/"


@pytest.fixture
def published(db, users):
    files.ledger_site()
    files.add_cash("XJ001", D1, "1000.00", name="张三丰")
    files.add_goods("WZ001", D1, quantity=1000)
    files.add_allocation("BF001", D1, quantity=400)
    files.approve(services.draft_disclosure(D1), users["leadership"])
    return DisclosurePage.objects.get(disclosure_date=D1)


def test_the_day_page_is_served_in_nine_queries(client, published):
    client.get(URL)  # per-process caches (site root paths, content types)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    assert "XJ001" in response.content.decode() and "WZ001" in response.content.decode()
    # Site (with its root page), the home page's row, the day page, its view restrictions, the
    # day's records, later corrections, and the cash, goods and allocation sections. Was 12.
    assert len(captured) == 9, [q["sql"][:120] for q in captured]


def test_versions_unknown_days_and_other_pages_route_as_before(client, published, users):
    assert client.get(URL + "v1/").status_code == 200
    assert client.get(URL + "v2/").status_code == 404
    assert client.get("/disclosures/2020-02-05/").status_code == 404
    assert client.get("/disclosures/").status_code == 200
    assert client.get("/no-such-page/2020-02-03/").status_code == 404
    # A day not published (a draft) is not served.
    files.add_cash("XJ002", D2, "10.00")
    services.draft_disclosure(D2)
    assert not DisclosurePage.objects.get(disclosure_date=D2).live
    assert client.get("/disclosures/2020-02-04/").status_code == 404


def test_a_renamed_index_serves_its_days_under_the_new_path_only(client, published):
    index = DisclosureIndexPage.objects.get()
    index.slug = "gongshi"
    index.save_revision().publish()
    assert client.get("/gongshi/2020-02-03/").status_code == 200
    assert client.get(URL).status_code == 404


@pytest.mark.parametrize("level", ["day", "index", "home"])
def test_a_restriction_anywhere_above_the_day_is_enforced(client, published, level):
    pages = {
        "day": published,
        "index": published.get_parent(),
        "home": published.get_parent().get_parent(),
    }
    restriction = PageViewRestriction.objects.create(
        page=pages[level], restriction_type=PageViewRestriction.PASSWORD, password="口令-2026"
    )
    # Same restrictions as Wagtail's own method finds.
    assert list(published.get_view_restrictions()) == list(Page.get_view_restrictions(published))
    assert list(published.get_view_restrictions()) == [restriction]
    response = client.get(URL)
    content = response.content.decode()
    assert "XJ001" not in content and "张" not in content
    assert 'name="password"' in content


def test_an_ancestor_alias_counts_through_the_page_it_aliases(published):
    index = published.get_parent()
    other = Page.get_first_root_node().add_child(instance=Page(title="别处", slug="elsewhere"))
    restriction = PageViewRestriction.objects.create(page=other, restriction_type=PageViewRestriction.LOGIN)
    # Make the index an alias of the restricted page (as Wagtail stores an alias).
    Page.objects.filter(pk=index.pk).update(alias_of=other)
    published.refresh_from_db()
    assert list(published.get_view_restrictions()) == list(Page.get_view_restrictions(published))
    assert list(published.get_view_restrictions()) == [restriction]
