"""Admin surfaces of the ledger, for every role (server-side permissions)."""

import pytest

from django.urls import reverse

from home.ledger.models import DonorPrivate, ImportBatch, LedgerEntry
from tests.conftest import TEST_PASSWORD
from tests.home import ledger_support as files

pytestmark = pytest.mark.django_db

ROLES = ["communications", "inspector", "responsible_unit", "leadership", "administrator"]


def outcome(response):
    """Wagtail's admin answers a PermissionDenied with a redirect to the dashboard and a message."""
    if response.status_code == 302 and response["Location"].rstrip("/").endswith("/admin"):
        return 403
    return response.status_code


def client_for(client, user):
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.mark.parametrize(
    ("role", "upload", "export"),
    [
        ("communications", 200, 200),
        ("inspector", 403, 403),
        ("responsible_unit", 403, 403),
        ("leadership", 403, 403),
        ("administrator", 200, 200),
    ],
)
def test_upload_and_staff_export_are_allowed_only_to_comms_and_admins(client, users, role, upload, export):
    client_for(client, users[role])
    assert outcome(client.get(reverse("ledger_admin:upload"))) == upload
    assert outcome(client.get(reverse("ledger_admin:template"))) == upload
    assert outcome(client.get(reverse("ledger_admin:export"))) == export


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    for name in ("upload", "template", "export", "late"):
        response = client.get(reverse(f"ledger_admin:{name}"))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_a_post_from_an_inspector_is_refused_and_stores_nothing(client, users):
    client_for(client, users["inspector"])
    data = files.ledger_workbook(cash=[files.cash_row()])
    response = client.post(reverse("ledger_admin:upload"), {"file": files.as_file(data)})
    assert outcome(response) == 403
    assert not ImportBatch.objects.exists()


def test_comms_upload_shows_the_error_table_then_imports_the_fixed_file(client, users):
    client_for(client, users["communications"])
    bad = files.ledger_workbook(cash=[files.cash_row("XJ001"), files.cash_row("XJ002", amount="12.345")])
    response = client.post(reverse("ledger_admin:upload"), {"file": files.as_file(bad)}, follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="error-table"' in html
    assert "现金捐赠" in html and "金额（元）" in html and "最多 2 位小数" in html
    assert LedgerEntry.objects.count() == 0
    good = files.ledger_workbook(cash=[files.cash_row("XJ001"), files.cash_row("XJ002", amount="12.34")])
    response = client.post(reverse("ledger_admin:upload"), {"file": files.as_file(good)}, follow=True)
    assert "已导入 2 行" in response.content.decode()
    assert LedgerEntry.objects.count() == 2
    assert ImportBatch.objects.filter(uploaded_by=users["communications"]).count() == 2


def test_staff_export_holds_private_fields_and_the_public_listing_does_not(client, users):
    from home.ledger import services

    services.import_ledger_file(files.as_file(files.ledger_workbook(cash=[files.cash_row()])), "a.xlsx")
    client_for(client, users["communications"])
    import io

    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(client.get(reverse("ledger_admin:export")).content))
    values = [cell.value for row in workbook.active.iter_rows() for cell in row]
    assert files.FIXTURE_PHONE in values and files.FIXTURE_NAME in values
    assert DonorPrivate.objects.count() == 1


def test_ledger_rows_cannot_be_edited_through_the_admin_even_by_an_administrator(client, users):
    from home.ledger import services

    services.import_ledger_file(files.as_file(files.ledger_workbook(cash=[files.cash_row()])), "a.xlsx")
    entry = LedgerEntry.objects.get()
    client_for(client, users["administrator"])
    assert client.get(reverse("ledger_entries:index")).status_code == 200
    assert client.get(reverse("ledger_entries:edit", args=[entry.pk])).status_code in (302, 403)
    assert client.post(reverse("ledger_entries:delete", args=[entry.pk])).status_code in (302, 403)
    assert LedgerEntry.objects.filter(pk=entry.pk).exists()


def _published_entry(users):
    import datetime as dt

    from home.ledger import services

    files.ledger_site()
    entry = files.add_cash("XJ001", dt.date(2020, 2, 3), "1000.00", name="欧阳娜娜")
    files.approve(services.draft_disclosure(dt.date(2020, 2, 3)), users["leadership"])
    entry.refresh_from_db()
    return entry


def test_comms_register_a_correction_on_a_later_day_through_the_admin(client, users):
    from wagtail.models import ModelLogEntry

    entry = _published_entry(users)
    client_for(client, users["communications"])
    url = reverse("ledger_admin:entry", args=[entry.pk])
    page = client.get(url).content.decode()
    assert "欧阳**" in page and files.FIXTURE_PHONE in page  # staff see the private details
    response = client.post(
        url,
        {"number": "GZ001", "entry_date": "2020-02-03", "reason": "金额有误", "amount": "-900"},
        follow=True,
    )
    assert "更正必须记在原记录之后的日期" in response.content.decode()
    response = client.post(
        url,
        {"number": "GZ001", "entry_date": "2020-02-04", "reason": "金额有误", "amount": "-900"},
        follow=True,
    )
    correction = LedgerEntry.objects.get(number="GZ001")
    assert correction.corrects == entry and correction.amount == -900
    assert ModelLogEntry.objects.get(action="ledger.entry.correct").user == users["communications"]


def test_leaders_and_inspectors_cannot_register_corrections_or_anonymise(client, users):
    entry = _published_entry(users)
    for role in ("leadership", "inspector"):
        client.logout()
        client_for(client, users[role])
        client.post(
            reverse("ledger_admin:entry", args=[entry.pk]),
            {"number": "GZ001", "entry_date": "2020-02-04", "reason": "x"},
        )
        client.post(reverse("ledger_admin:anonymise", args=[entry.donor_id]))
    assert not LedgerEntry.objects.filter(number="GZ001").exists()
    entry.donor.refresh_from_db()
    assert not entry.donor.anonymous


def test_comms_anonymise_a_donor_on_request(client, users):
    entry = _published_entry(users)
    client_for(client, users["communications"])
    response = client.post(
        reverse("ledger_admin:anonymise", args=[entry.donor_id]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("ledger_admin:upload")
    entry.donor.refresh_from_db()
    assert entry.donor.anonymous and entry.donor.name == ""
    assert not DonorPrivate.objects.exists()


def test_comms_draft_a_day_from_the_admin_and_it_waits_for_leadership(client, users):
    import datetime as dt

    from home.ledger.models import DisclosurePage

    files.ledger_site()
    files.add_cash("XJ001", dt.date(2020, 2, 3))
    client_for(client, users["communications"])
    response = client.post(reverse("ledger_admin:draft"), {"day": "2020-02-03"})
    page = DisclosurePage.objects.get()
    assert response["Location"] == f"/admin/pages/{page.pk}/edit/"
    assert page.current_workflow_state is not None and not page.live


def test_the_publication_log_survives_deleting_the_leader(users):
    from wagtail.models import PageLogEntry

    from home.ledger.models import DisclosureRecord

    _published_entry(users)
    leader_id = users["leadership"].pk
    users["leadership"].delete()
    log = PageLogEntry.objects.get(action="ledger.disclosure.publish")
    assert log.user_id == leader_id
    assert DisclosureRecord.objects.get().published_by_id == leader_id
