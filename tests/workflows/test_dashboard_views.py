"""The dashboard page, its XLSX downloads, approve/return and the allocate action, for every role."""

import io

import openpyxl
import pytest

from django.urls import reverse

from home.ledger.models import EntryKind, LedgerEntry
from snippets.models import Issue
from tests.conftest import TEST_PASSWORD
from tests.workflows.test_dashboard_queries import TODAY, _log, dashboard_data  # noqa: F401 - fixture
from workflows import roles
from workflows.dashboard import cache
from workflows.models import StageTransition

URL = reverse("workflows_dashboard:index")
XLSX_URL = reverse("workflows_dashboard:export", args=["categories"])
ALL_URL = reverse("workflows_dashboard:export_all")


@pytest.fixture(autouse=True)
def fixture_day(monkeypatch):
    """The page reads today's date; the fixture's hand-computed figures hold on its own day."""
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache._cache().clear()
    yield
    cache._cache().clear()


def _client(client, user):
    client.force_login(user)
    return client


def _refused(response):
    """Wagtail's admin answers PermissionDenied with a redirect to the admin home and a message."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def _sheet_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    sheet = workbook.worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_anonymous_visitors_are_sent_to_the_login_page(client, db):
    for url in (URL, XLSX_URL, ALL_URL):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("wagtailadmin_login"))


@pytest.mark.parametrize("role", [roles.LEADERSHIP, roles.ADMINISTRATOR, roles.INSPECTOR])
def test_full_view_roles_see_every_institutions_numbers(client, dashboard_data, users, role):  # noqa: F811
    response = _client(client, users[role]).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="open">6<' in html
    assert 'data-figure="overdue">3<' in html
    assert "城关村敬老院" in html  # recurrence table names the rural home
    assert "<svg" in html
    rows = _sheet_rows(_client(client, users[role]).get(XLSX_URL))
    assert rows[0] == ["类别", "未销号", "其中逾期"]
    assert rows[1:] == [["防控物资不足", 3, 2], ["未落实每日二次消杀", 3, 1]]


def test_leadership_sees_donations_and_inspectors_do_not(client, dashboard_data, users):  # noqa: F811
    leader_html = _client(client, users[roles.LEADERSHIP]).get(URL).content.decode()
    assert 'data-figure="cash-total"' in leader_html
    client.logout()
    inspector_html = _client(client, users[roles.INSPECTOR]).get(URL).content.decode()
    assert 'data-figure="cash-total"' not in inspector_html


def test_communications_see_donation_figures_only(client, dashboard_data, users):  # noqa: F811
    LedgerEntry.objects.create(
        number="R-1", kind=EntryKind.CASH, entry_date=dashboard_data["rounds"][0].starts_on, amount="500.00"
    )
    response = _client(client, users[roles.COMMUNICATIONS]).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="cash-total">500.00<' in html
    assert 'data-figure="open"' not in html
    assert "城关村敬老院" not in html
    assert _client(client, users[roles.COMMUNICATIONS]).get(XLSX_URL).status_code == 404
    rows = _sheet_rows(client.get(reverse("workflows_dashboard:export", args=["donations"])))
    assert ["累计现金捐赠（元）", 500] in rows


def test_a_user_without_a_dashboard_role_is_refused(client, dashboard_data, django_user_model):  # noqa: F811
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("nobody", password=TEST_PASSWORD)
    user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(user)
    assert _refused(client.get(URL))
    assert _refused(client.get(XLSX_URL))


def test_responsible_unit_sees_only_its_institutions_and_not_anothers(
    client,
    dashboard_data,  # noqa: F811
    make_user,
):
    unit = make_user(roles.RESPONSIBLE_UNIT, username="unit-u1")
    own = dashboard_data["institutions"]["U1"]
    other = dashboard_data["institutions"]["R1"]
    own.responsible_users.add(unit)
    client.force_login(unit)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-figure="open">1<' in html
    assert "城关村敬老院" not in html
    assert 'data-figure="cash-total"' not in html
    rows = _sheet_rows(client.get(XLSX_URL))
    assert rows[1:] == [["未落实每日二次消杀", 1, 0]]
    all_rows = _sheet_rows(client.get(ALL_URL))
    assert all_rows[0] == ["阶段", "数量"]
    # Another institution's numbers: not found, not an empty page that confirms it exists.
    assert client.get(URL, {"institution": other.pk}).status_code == 404
    assert client.get(XLSX_URL, {"institution": other.pk}).status_code == 404
    assert client.get(URL, {"institution": own.pk}).status_code == 200


def test_leader_approves_a_closure_from_the_dashboard_through_the_service(
    client,
    dashboard_data,  # noqa: F811
    users,
    make_user,
):
    issue = dashboard_data["issues"]["I5"]
    unit = make_user(roles.RESPONSIBLE_UNIT, username="unit-r1")
    dashboard_data["institutions"]["R1"].responsible_users.add(unit)
    Issue.objects.filter(pk=issue.pk).update(stage_version=3)
    _log(issue, "submit", "in_progress", "submitted", 3, actor=unit)
    url = reverse("workflows_dashboard:decide", args=[issue.pk, "close"])
    # An administrator (a superuser too) holds no leadership rights: no list, no closing.
    admin = _client(client, users[roles.ADMINISTRATOR])
    assert f'data-issue="{issue.pk}"' not in admin.get(URL).content.decode()
    assert _refused(admin.post(url, {"expected_version": 3}))
    issue.refresh_from_db()
    assert issue.stage == "submitted"
    leader = _client(client, users[roles.LEADERSHIP])
    html = leader.get(URL).content.decode()
    assert f'data-issue="{issue.pk}"' in html
    response = leader.post(url, {"expected_version": 3, "request_key": "k1"})
    assert response.status_code == 302
    issue.refresh_from_db()
    assert issue.stage == "closed"
    last = StageTransition.objects.filter(issue=issue).order_by("-version").first()
    assert (last.move, last.actor_id, last.version) == ("close", users[roles.LEADERSHIP].pk, 4)
    # The same click again does nothing twice; the figures no longer list it.
    leader.post(url, {"expected_version": 3, "request_key": "k1"})
    assert StageTransition.objects.filter(issue=issue, move="close").count() == 1
    assert f'data-issue="{issue.pk}"' not in leader.get(URL).content.decode()


def test_return_needs_a_reason_and_units_cannot_decide(client, dashboard_data, users, make_user):  # noqa: F811
    issue = dashboard_data["issues"]["I5"]
    unit = make_user(roles.RESPONSIBLE_UNIT, username="unit-r1")
    dashboard_data["institutions"]["R1"].responsible_users.add(unit)
    _log(issue, "submit", "in_progress", "submitted", 1, actor=unit)
    Issue.objects.filter(pk=issue.pk).update(stage_version=1)
    url = reverse("workflows_dashboard:decide", args=[issue.pk, "return"])
    client.force_login(unit)
    assert _refused(client.post(url, {"note": "x"}))
    leader = _client(client, users[roles.LEADERSHIP])
    leader.post(url, {"note": ""})
    issue.refresh_from_db()
    assert issue.stage == "submitted"
    leader.post(url, {"note": "照片不清楚"})
    issue.refresh_from_db()
    assert issue.stage == "in_progress"
    assert StageTransition.objects.get(issue=issue, move="return").note == "照片不清楚"


def test_allocate_prefills_an_allocation_linked_to_the_shortage_issue(
    client,
    dashboard_data,  # noqa: F811
    users,
):
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    LedgerEntry.objects.create(
        number="G-1",
        kind=EntryKind.GOODS,
        entry_date=today - dt.timedelta(days=1),
        category="masks",
        item="医用外科口罩",
        specification="YY 0469",
        unit="只",
        quantity=1000,
    )
    issue = dashboard_data["issues"]["I3"]  # open supply shortage at the rural home
    Issue.objects.filter(pk=issue.pk).update(title="口罩储备不足")
    leader = _client(client, users[roles.LEADERSHIP])
    html = leader.get(URL).content.decode()
    assert f'data-shortage="{issue.pk}"' in html
    assert "医用外科口罩" in html
    url = reverse("workflows_dashboard:allocate", args=[issue.pk])
    form = leader.get(url).context["form"]
    assert form.initial["number"].endswith(issue.number)
    assert form.initial["goods"] == "医用外科口罩\x1fYY 0469\x1f只"
    response = leader.post(
        url,
        {
            "goods": form.initial["goods"],
            "quantity": 300,
            "number": form.initial["number"],
            "entry_date": today.isoformat(),
            "purpose": form.initial["purpose"],
            "approver": "王主任",
        },
    )
    assert response.status_code == 302
    allocation = LedgerEntry.objects.get(kind=EntryKind.ALLOCATION)
    assert allocation.issue_id == issue.pk
    assert allocation.recipient_id == issue.institution_id
    assert allocation.quantity == 300
    html = leader.get(URL).content.decode()
    assert "医用外科口罩 300只" in html  # shown next to the issue as already allocated
    # More than the stock is refused.
    over = leader.post(
        url,
        {
            "goods": form.initial["goods"],
            "quantity": 800,
            "number": "FP-2",
            "entry_date": today.isoformat(),
            "purpose": "x",
            "approver": "y",
        },
    )
    assert over.status_code == 400
    # Inspectors and communications may not allocate.
    client.force_login(users[roles.INSPECTOR])
    assert _refused(client.get(url))
    client.force_login(users[roles.COMMUNICATIONS])
    assert _refused(client.get(url))


def test_names_are_escaped_in_charts_and_never_become_formulas_in_xlsx(client, db, users):
    from tests.snippets.factories import InstitutionFactory, IssueFactory

    institution = InstitutionFactory(name="<script>alert(1)</script>敬老院")
    IssueFactory(institution=institution, title='=HYPERLINK("http://evil.example","点我")')
    client.force_login(users[roles.LEADERSHIP])
    html = client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;敬老院" in html
    response = client.get(reverse("workflows_dashboard:export", args=["oldest"]))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    cell = workbook.worksheets[0]["B2"]
    assert cell.value == '=HYPERLINK("http://evil.example","点我")'
    assert cell.data_type == "s"
