"""Stored XSS beyond tests/home/test_xss.py (which covers page titles, rich text, StreamField blocks and
channel names through the admin forms): the text fields of inspection records, ledger rows and
donation channels that reach a public page, an admin listing, the history or an export.

Payloads are saved as the data layer stores them (the admin forms accept free text for all of these);
every place that shows them must escape them, and exports must carry them as inert text.
"""

import csv
import datetime as dt
import io

import openpyxl
import pytest

from wagtail.models import ModelLogEntry

from home.ledger import services
from tests.home import factories
from tests.home import ledger_support as ledger
from tests.snippets.factories import InstitutionFactory, IssueFactory
from workflows import roles

pytestmark = pytest.mark.django_db

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
FORMULA = '=HYPERLINK("http://evil.example","x")'
DANGEROUS = ("<script>alert", "<img src=x", "onerror=alert(2)>")
DAY = dt.date(2020, 2, 3)


def assert_inert(html, where):
    for marker in DANGEROUS:
        assert marker not in html, f"{marker!r} unescaped in {where}"


def _cells(content):
    workbook = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None]


def assert_inert_workbook(content, where):
    for cell in _cells(content):
        if isinstance(cell.value, str):
            assert cell.data_type != "f", f"formula cell {cell.coordinate} in {where}: {cell.value}"


def test_inspection_record_payloads_are_escaped_in_admin_listings_history_and_exports(client, users):
    institution = InstitutionFactory(name=f"敬老院{IMG}")
    issue = IssueFactory(title=f"问题{SCRIPT}", institution=institution, description=f"说明{IMG}")
    ModelLogEntry.objects.log_action(issue, "wagtail.edit", user=users[roles.INSPECTOR])
    client.force_login(users[roles.INSPECTOR])  # sees every inspection view, history included
    for url in (
        "/admin/snippets/snippets/issue/",
        f"/admin/snippets/snippets/issue/edit/{issue.pk}/",
        f"/admin/snippets/snippets/issue/history/{issue.pk}/",
        f"/admin/snippets/snippets/issue/inspect/{issue.pk}/",
        "/admin/snippets/snippets/institution/",
        "/admin/rectification/",
        f"/admin/rectification/issue/{issue.pk}/",
        "/admin/dashboard/",
        "/admin/snippets/choose/snippets/issue/results/?q=问题",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url)
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;"
        in client.get("/admin/snippets/snippets/issue/").content.decode()
    )
    api = client.get(f"/api/v2/issues/{issue.pk}/")
    assert api["Content-Type"].startswith("application/json")
    assert api.json()["title"] == f"问题{SCRIPT}"  # data, not markup: escaping is the renderer's job

    export = client.get("/admin/rectification/ledger.xlsx")
    values = [cell.value for cell in _cells(export.content)]
    assert f"说明{IMG}" in values  # the 整改台账 carries the description, as text
    assert_inert_workbook(export.content, "rectification ledger")


def test_ledger_and_channel_payloads_are_escaped_on_public_pages_and_inert_in_open_data(client, users):
    channel = factories.DonationChannelFactory(
        name="市慈善总会账户", account_name=f"民政局{IMG}", bank_name=f"银行{SCRIPT}"
    )
    factories.build_site([channel])
    services.ensure_disclosure_index()
    ledger.add_cash("XJ001", DAY, name=f"张三{SCRIPT}", purpose=FORMULA)
    ledger.add_cash("XJ002", DAY, name=FORMULA, donor_type="organisation", purpose=f"用途{IMG}")
    ledger.add_allocation("BF001", DAY, amount="50.00")
    page = services.draft_disclosure(DAY, note=f"说明{SCRIPT}")
    ledger.approve(page, users[roles.LEADERSHIP])

    for url in ("/", "/appeal/", "/channels/", "/disclosures/", "/disclosures/2020-02-03/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url)
    assert "银行&lt;script&gt;" in client.get("/channels/").content.decode()

    as_json = client.get("/api/disclosures/2020-02-03.json")
    assert as_json.status_code == 200
    assert as_json["Content-Type"].startswith("application/json")

    as_csv = client.get("/api/disclosures/2020-02-03.csv")
    assert as_csv.status_code == 200
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert any(FORMULA in value for row in rows for value in row), "the organisation's name is published"
    for row in rows:
        for value in row:
            assert not value.startswith(("=", "+", "@")), f"formula-like CSV cell {value!r}"

    as_xlsx = client.get("/api/disclosures/2020-02-03.xlsx")
    assert as_xlsx.status_code == 200
    assert_inert_workbook(as_xlsx.content, "open-data xlsx")

    client.force_login(users[roles.COMMUNICATIONS])
    for url in (
        "/admin/ledger/",
        "/admin/snippets/home/donationchannel/",
        f"/admin/snippets/home/donationchannel/edit/{channel.pk}/",
        f"/admin/snippets/home/donationchannel/history/{channel.pk}/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_inert(response.content.decode(), url)
    staff = client.get("/admin/ledger/export.xlsx")
    assert staff.status_code == 200
    assert_inert_workbook(staff.content, "staff ledger export")
