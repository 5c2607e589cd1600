import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from snippets.importers import import_issues
from snippets.models import Issue
from tests.snippets.factories import InstitutionFactory
from workflows import roles

pytestmark = pytest.mark.django_db

HEADER = ["标题", "问题类别", "机构", "发现日期", "严重程度", "整改期限", "问题描述"]


def workbook_bytes(rows, header=HEADER):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def institution():
    return InstitutionFactory(name="城关镇敬老院")


def test_a_valid_sheet_imports_every_row_with_category_defaults(institution, users):
    data = workbook_bytes(
        [
            ["消杀只做一次", "未落实每日二次消杀", "城关镇敬老院", "2026/2/10", "", "", "上午一次"],
            ["口罩不足", "supply-shortage", "城关镇敬老院", "2026年2月11日", "严重", "2026-02-12", ""],
        ]
    )
    result = import_issues(io.BytesIO(data), users[roles.INSPECTOR])
    assert result.ok, result.report.as_text()
    first, second = sorted(result.created, key=lambda issue: issue.found_on)
    assert first.deadline == datetime.date(2026, 2, 13)  # the category's 3 days
    assert first.severity == "medium"
    assert second.severity == "high"
    assert second.number.startswith("ZG-2026-")
    assert Issue.objects.count() == 2


def test_any_bad_row_imports_nothing_and_every_error_is_reported(institution, users):
    data = workbook_bytes(
        [
            ["好的一行", "未落实每日二次消杀", "城关镇敬老院", "2026-02-10", "", "", ""],
            ["", "没有的类别", "没有的机构", "下周", "很严重", "", ""],
            [
                '=HYPERLINK("http://x")',
                "未落实每日二次消杀",
                "城关镇敬老院",
                "2026-02-10",
                "",
                "2026-02-01",
                "",
            ],
        ]
    )
    result = import_issues(io.BytesIO(data), users[roles.INSPECTOR])
    assert not result.ok
    errors = {(error.row, error.column) for error in result.report.errors}
    assert (3, "标题") in errors and (3, "发现日期") in errors and (3, "严重程度") in errors
    assert (4, "标题") in errors
    assert not Issue.objects.exists()


def test_a_dry_run_checks_without_saving(institution, users):
    data = workbook_bytes([["消杀", "未落实每日二次消杀", "城关镇敬老院", "2026-02-10", "", "", ""]])
    result = import_issues(io.BytesIO(data), users[roles.INSPECTOR], dry_run=True)
    assert result.ok and result.rows == 1
    assert not Issue.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_cleanly(users):
    result = import_issues(io.BytesIO(b"<html>not excel</html>"), users[roles.INSPECTOR])
    assert not result.ok
    assert not Issue.objects.exists()


def test_the_commands_write_a_template_and_import_it_all_or_nothing(institution, tmp_path, capsys):
    template = tmp_path / "t.xlsx"
    call_command("issues_template", "-o", str(template))
    sheet = load_workbook(template)["问题"]
    assert [cell.value for cell in sheet[1]][:4] == ["标题", "问题类别", "机构", "发现日期"]

    call_command("import_issues", str(template), "--dry-run")
    assert not Issue.objects.exists()
    call_command("import_issues", str(template))
    assert Issue.objects.get().institution == institution

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook_bytes([["x", "没有", "城关镇敬老院", "2026-02-10", "", "", ""]]))
    with pytest.raises(CommandError):
        call_command("import_issues", str(bad))
    assert Issue.objects.count() == 1


def test_the_admin_upload_reports_errors_and_only_inspectors_may_use_it(client, institution, users):
    url = reverse("snippets_import_issues")
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    assert client.get(url).status_code in (302, 403)
    client.force_login(users[roles.INSPECTOR])
    bad = SimpleUploadedFile(
        "bad.xlsx", workbook_bytes([["x", "没有", "城关镇敬老院", "2026-02-10", "", "", ""]])
    )
    response = client.post(url, {"file": bad})
    assert response.status_code == 200
    assert "没有这个问题类别" in response.content.decode()
    good = SimpleUploadedFile(
        "good.xlsx", workbook_bytes([["x", "未落实每日二次消杀", "城关镇敬老院", "2026-02-10", "", "", ""]])
    )
    assert client.post(url, {"file": good}).status_code == 302
    assert Issue.objects.count() == 1
