"""The issues and ledger admin listings of our own (`snippets.listing`, `home.ledger.listing`; issue
#16): who sees which rows (named, not only status codes), the row buttons each role gets, scoping of
a responsible unit, filters, search, ordering, pagination, the results fragment and exports."""

import datetime as dt
import re

import pytest

from django.urls import reverse

from home.ledger.models import LedgerEntry
from tests.snippets.factories import InstitutionFactory, IssueFactory
from workflows import roles

pytestmark = pytest.mark.django_db

ISSUES_URL = reverse("wagtailsnippets_snippets_issue:list")
ISSUES_RESULTS_URL = reverse("wagtailsnippets_snippets_issue:list_results")
LEDGER_URL = reverse("ledger_entries:index")
LEDGER_RESULTS_URL = reverse("ledger_entries:index_results")


def refused(response):
    """Wagtail's admin answers a PermissionDenied with a redirect to its home page."""
    return response.status_code == 302 and response["Location"].rstrip("/").endswith("/admin")


def rows(response):
    assert response.status_code == 200, response.status_code
    html = response.content.decode()
    if '<table class="listing">' not in html:
        return []
    start = html.index("<tbody>", html.index('<table class="listing">'))
    body = html[start : html.index("</tbody>", start)]
    return re.findall(r"<tr>(.*?)</tr>", body)


def row_buttons(row):
    actions = re.search(r'<div data-w-dropdown-target="content"[^>]*>(.*?)</div>', row)
    return re.findall(r'<a href="([^"]+)"[^>]*>.*?</svg>([^<]+)</a>', actions.group(1)) if actions else []


@pytest.fixture
def records(users):
    own = InstitutionFactory(name="甲乡敬老院")
    own.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    other = InstitutionFactory(name="乙镇福利院")
    return {
        "own": IssueFactory(title="甲乡消毒记录缺失", institution=own, description="库房"),
        "other": IssueFactory(title="乙镇体温登记滞后", institution=other),
        "own_institution": own,
        "other_institution": other,
    }


ALL_TITLES = {"甲乡消毒记录缺失", "乙镇体温登记滞后"}


def titles(response):
    content = response.content.decode()
    return {title for title in ALL_TITLES if title in content}


@pytest.mark.parametrize(
    ("role", "seen"),
    [
        (roles.INSPECTOR, ALL_TITLES),
        (roles.LEADERSHIP, ALL_TITLES),
        (roles.ADMINISTRATOR, ALL_TITLES),
        (roles.RESPONSIBLE_UNIT, {"甲乡消毒记录缺失"}),
    ],
)
def test_each_role_sees_the_issues_of_its_scope_by_name(client, users, records, role, seen):
    client.force_login(users[role])
    response = client.get(ISSUES_URL)
    assert titles(response) == seen
    assert len(rows(response)) == len(seen)
    # The results fragment the search and filter form swap in is scoped the same way.
    assert titles(client.get(ISSUES_RESULTS_URL)) == seen
    if role == roles.RESPONSIBLE_UNIT:
        assert "乙镇福利院" not in response.content.decode()


def test_communications_and_anonymous_visitors_get_no_issue_listing(client, users, records):
    client.force_login(users[roles.COMMUNICATIONS])
    for url in (ISSUES_URL, ISSUES_RESULTS_URL):
        response = client.get(url)
        assert refused(response)
        assert not titles(response)
    client.logout()
    response = client.get(ISSUES_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    ("role", "buttons", "title_link"),
    [
        (roles.ADMINISTRATOR, ["编辑", "复制", "检查", "删除"], "edit"),
        (roles.INSPECTOR, ["编辑", "复制", "检查"], "edit"),
        (roles.RESPONSIBLE_UNIT, ["编辑", "检查"], "edit"),
        (roles.LEADERSHIP, ["检查"], "inspect"),
    ],
)
def test_the_row_buttons_are_the_ones_the_role_may_use(client, users, records, role, buttons, title_link):
    issue = records["own"]
    client.force_login(users[role])
    row = next(r for r in rows(client.get(ISSUES_URL)) if issue.title in r)
    found = row_buttons(row)
    assert [label.strip() for _url, label in found] == buttons
    actions = {"编辑": "edit", "复制": "copy", "检查": "inspect", "删除": "delete"}
    for url, label in found:
        assert url == reverse(f"wagtailsnippets_snippets_issue:{actions[label.strip()]}", args=[issue.pk])
        # Every button leads somewhere the role is let in.
        assert client.get(url).status_code == 200
    link = reverse(f"wagtailsnippets_snippets_issue:{title_link}", args=[issue.pk])
    assert f'<a href="{link}"><span id="issue_{issue.pk}_title">{issue.number}</span></a>' in row
    assert f'data-object-id="{issue.pk}"' in row  # the bulk-action checkbox
    assert 'data-bulk-action-footer="SNIPPET"' in client.get(ISSUES_URL).content.decode()


def test_row_values_are_escaped(client, users):
    institution = InstitutionFactory(name="<i>机构</i>")
    IssueFactory(title="<script>alert(1)</script>\"'", institution=institution)
    client.force_login(users[roles.ADMINISTRATOR])
    content = client.get(ISSUES_URL).content.decode()
    assert "<script>alert(1)" not in content and "<i>机构" not in content
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;" in content
    assert "&lt;i&gt;机构&lt;/i&gt;" in content


def test_a_unit_cannot_search_or_filter_its_way_to_another_institution(client, users, records):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    assert titles(client.get(ISSUES_URL, {"q": "乙镇"})) == set()
    assert titles(client.get(ISSUES_RESULTS_URL, {"q": "体温"})) == set()
    # A hand-written filter outside the scope is refused by the scoped filter: nothing else is shown.
    response = client.get(ISSUES_URL, {"institution": records["other_institution"].pk})
    assert "乙镇体温登记滞后" not in response.content.decode()
    assert titles(client.get(ISSUES_URL, {"q": "库房"})) == {"甲乡消毒记录缺失"}


def test_search_filters_and_ordering(client, users, records):
    client.force_login(users[roles.INSPECTOR])
    assert titles(client.get(ISSUES_URL, {"q": "体温"})) == {"乙镇体温登记滞后"}
    assert titles(client.get(ISSUES_URL, {"q": records["own"].number})) == {"甲乡消毒记录缺失"}
    assert titles(client.get(ISSUES_URL, {"institution": records["own_institution"].pk})) == {
        "甲乡消毒记录缺失"
    }
    response = client.get(ISSUES_URL, {"q": "体温"})
    assert "共 1 条匹配" in response.content.decode()
    ascending = rows(client.get(ISSUES_URL, {"ordering": "title"}))
    descending = rows(client.get(ISSUES_URL, {"ordering": "-title"}))
    # Code-point order: 乙 (U+4E59) before 甲 (U+7532).
    assert "乙镇" in ascending[0] and "甲乡" in descending[0]
    # Sorting keeps the search and the filters.
    content = client.get(ISSUES_URL, {"q": "体温", "stage": "registered"}).content.decode()
    assert f'href="{ISSUES_URL}?q=%E4%BD%93%E6%B8%A9&amp;stage=registered&amp;ordering=title"' in content
    # An unknown ordering falls back to the default (newest found first) instead of failing.
    assert len(rows(client.get(ISSUES_URL, {"ordering": "description__secret"}))) == 2


def test_pagination_is_100_rows_a_page(client, users):
    institution = InstitutionFactory()
    for n in range(101):
        IssueFactory(
            title=f"分页问题{n:03d}", institution=institution, found_on=dt.date(2026, 1, 1) + dt.timedelta(n)
        )
    client.force_login(users[roles.LEADERSHIP])
    first = client.get(ISSUES_URL)
    assert len(rows(first)) == 100
    assert "分页问题100" in first.content.decode() and "分页问题000" not in first.content.decode()
    assert "第 1 页，共 2 页" in first.content.decode()
    second = client.get(ISSUES_URL, {"p": 2})
    assert [("分页问题000" in r) for r in rows(second)] == [True]
    assert client.get(ISSUES_URL, {"p": 3}).status_code == 404


def test_exports_are_still_served_and_scoped(client, users, records):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    response = client.get(ISSUES_URL, {"export": "csv"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "甲乡消毒记录缺失" in body and "乙镇体温登记滞后" not in body
    # The page offers the exports of what it shows.
    assert f"{ISSUES_URL}?export=xlsx" in client.get(ISSUES_URL).content.decode()


def test_the_listing_query_count_does_not_grow_with_the_rows(client, users, django_assert_max_num_queries):
    client.force_login(users[roles.INSPECTOR])
    institution = InstitutionFactory()
    for _n in range(30):
        IssueFactory(institution=institution)
    with django_assert_max_num_queries(15):
        assert len(rows(client.get(ISSUES_URL))) == 30


# Ledger entries -----------------------------------------------------------------------------------


@pytest.fixture
def entries():
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(number="JZ-0001", kind="cash", entry_date=dt.date(2026, 1, 2), amount=1234),
            LedgerEntry(
                number="JZ-0002",
                kind="goods",
                entry_date=dt.date(2026, 1, 3),
                item="医用口罩<b>",
                unit="只",
                quantity=1500,
                category="masks",
            ),
        ]
    )
    return {e.number: e for e in LedgerEntry.objects.all()}


def numbers(response):
    content = response.content.decode()
    return {n for n in ("JZ-0001", "JZ-0002") if n in content}


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (roles.COMMUNICATIONS, True),
        (roles.LEADERSHIP, True),
        (roles.ADMINISTRATOR, True),
        (roles.INSPECTOR, False),
        (roles.RESPONSIBLE_UNIT, False),
    ],
)
def test_the_ledger_listing_per_role(client, users, entries, role, allowed):
    client.force_login(users[role])
    for url in (LEDGER_URL, LEDGER_RESULTS_URL):
        response = client.get(url)
        if allowed:
            assert numbers(response) == {"JZ-0001", "JZ-0002"}
        else:
            assert refused(response) and not numbers(response)


def test_ledger_rows_show_their_values_and_only_an_inspect_button(client, users, entries):
    client.force_login(users[roles.ADMINISTRATOR])
    listed = rows(client.get(LEDGER_URL))
    assert "JZ-0001" in listed[0] and "JZ-0002" in listed[1]  # date, then number
    goods = listed[1]
    entry = entries["JZ-0002"]
    inspect = reverse("ledger_entries:inspect", args=[entry.pk])
    assert [(url, label.strip()) for url, label in row_buttons(goods)] == [(inspect, "检查")]
    cells = re.findall(r"<td>(.*?)</td>", goods)
    assert cells == ["物资捐赠", "2026年1月3日", "", "医用口罩&lt;b&gt;", "1500", "只", "否"]
    assert "data-bulk-action-checkbox" not in goods
    assert client.get(inspect).status_code == 200


def test_ledger_search_filter_and_ordering(client, users, entries):
    client.force_login(users[roles.COMMUNICATIONS])
    assert numbers(client.get(LEDGER_URL, {"q": "口罩"})) == {"JZ-0002"}
    assert numbers(client.get(LEDGER_RESULTS_URL, {"kind": "cash"})) == {"JZ-0001"}
    listed = rows(client.get(LEDGER_URL, {"ordering": "-entry_date"}))
    assert "JZ-0002" in listed[0]
