"""The 整改台账 export: bureau columns, listing filters, formula safety, nightly document."""

import datetime
import io

import pytest
from openpyxl import load_workbook

from django.core.management import call_command

from workflows import roles
from workflows.ledger import COLUMNS
from workflows.ledger_document import refresh_latest_ledger
from workflows.models import WorkflowSettings
from workflows.services import transition

from .factories import InstitutionFactory, IssueCategoryFactory, issue_in_stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger_items(users):
    unit, leader = users[roles.RESPONSIBLE_UNIT], users[roles.LEADERSHIP]
    leader.first_name, leader.last_name = "刚", "陈"
    leader.save()
    masks = IssueCategoryFactory(name="物资缺口（测试）")
    town = InstitutionFactory(name="城关敬老院", township="城关镇")
    village = InstitutionFactory(name="河西敬老院", township="河西乡", area="rural")
    closed = issue_in_stage("submitted", unit=unit, category=masks, institution=town, description="口罩不足")
    transition(closed.pk, "close", leader)
    overdue = issue_in_stage(
        "in_progress", unit=unit, institution=village, deadline=datetime.date(2020, 1, 1), description="=1+2"
    )
    return {"closed": closed, "overdue": overdue, "masks": masks}


def _rows(data):
    sheet = load_workbook(io.BytesIO(data)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_command_writes_the_bureau_columns_with_closure_date_and_approver(ledger_items, tmp_path):
    path = tmp_path / "ledger.xlsx"
    call_command("export_rectification_ledger", "-o", str(path), stdout=io.StringIO())

    rows = _rows(path.read_bytes())
    assert rows[0] == [name for name, _ in COLUMNS]
    closed = next(row for row in rows[1:] if row[2] == "城关敬老院")
    assert (
        closed[1] == "物资缺口（测试）"
        and closed[3] == "城关镇"
        and closed[8] == "已销号"
        and closed[9] == "否"
    )
    assert closed[10] is not None and closed[11] == "陈刚"
    overdue = next(row for row in rows[1:] if row[2] == "河西敬老院")
    assert overdue[9] == "是" and overdue[10] is None


def test_text_that_looks_like_a_formula_is_written_as_text(ledger_items, tmp_path):
    path = tmp_path / "ledger.xlsx"
    call_command("export_rectification_ledger", "-o", str(path), stdout=io.StringIO())
    descriptions = [row[4] for row in _rows(path.read_bytes())[1:]]
    assert "'=1+2" in descriptions


def test_the_command_and_the_admin_download_apply_the_listing_filters(ledger_items, tmp_path, client, users):
    path = tmp_path / "ledger.xlsx"
    call_command("export_rectification_ledger", "-o", str(path), "--township", "河西乡", stdout=io.StringIO())
    assert [row[2] for row in _rows(path.read_bytes())[1:]] == ["河西敬老院"]

    client.force_login(users[roles.LEADERSHIP])
    listing = client.get("/admin/rectification/", {"overdue": "true"}).content.decode()
    assert ledger_items["overdue"].number in listing and ledger_items["closed"].number not in listing
    download = client.get("/admin/rectification/ledger.xlsx", {"overdue": "true"})
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert [row[2] for row in _rows(download.content)[1:]] == ["河西敬老院"]


def test_a_responsible_units_download_holds_only_its_own_institutions(ledger_items, client, make_user):
    other = make_user(roles.RESPONSIBLE_UNIT, username="other-unit")
    InstitutionFactory(name="别家福利院").responsible_users.add(other)
    issue_in_stage("in_progress", unit=other, institution=other.responsible_institutions.first())
    client.force_login(other)
    rows = _rows(client.get("/admin/rectification/ledger.xlsx").content)
    assert [row[2] for row in rows[1:]] == ["别家福利院"]


def test_the_nightly_task_keeps_one_latest_ledger_document_in_a_restricted_collection(ledger_items):
    first = refresh_latest_ledger()
    second = refresh_latest_ledger()

    assert first["document"] == second["document"] and second["rows"] == 2
    config = WorkflowSettings.load()
    document = config.latest_ledger
    assert document.title == "整改台账（最新）"
    assert document.collection.get_view_restrictions().filter(restriction_type="groups").exists()
    with document.file.open("rb") as handle:
        assert len(_rows(handle.read())) == 3


def test_the_download_accepts_the_snippets_issue_listing_query_string(ledger_items, client, users):
    client.force_login(users[roles.LEADERSHIP])
    query = {"area": "urban", "severity": "medium", "category": ledger_items["masks"].pk, "overdue": "false"}
    rows = _rows(client.get("/admin/rectification/ledger.xlsx", query).content)
    assert [row[2] for row in rows[1:]] == ["城关敬老院"]
