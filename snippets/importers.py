"""Excel import of issues, all or nothing, on the shared safe toolkit `home.spreadsheets`.

One sheet “问题”; columns are matched by header text. Every bad cell of every row is reported
(sheet, row, column, reason); if there is any error nothing is saved.
"""

import datetime
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from home.spreadsheets import (
    CellError,
    Column,
    ErrorReport,
    SheetSpec,
    SpreadsheetError,
    open_workbook,
    parse_choice,
    parse_date,
    parse_text,
    read_sheet,
    template_sheets,
    write_workbook,
)
from snippets import services
from snippets.choices import Severity
from snippets.models import Institution, Issue, IssueCategory


def _text(max_length):
    return lambda value: parse_text(value, max_length=max_length)


ISSUE_SHEET = SheetSpec(
    name="问题",
    columns=(
        Column("title", "标题", _text(200), example="公共区域未落实每日二次消杀", width=30),
        Column("category", "问题类别", _text(100), example="未落实每日二次消杀", width=20),
        Column("institution", "机构", _text(200), example="城关镇敬老院", width=20),
        Column("found_on", "发现日期", parse_date, example=datetime.date(2026, 2, 10)),
        Column("severity", "严重程度", parse_choice(Severity.choices), required=False, example="较重"),
        Column("deadline", "整改期限", parse_date, required=False, example=datetime.date(2026, 2, 13)),
        Column("description", "问题描述", lambda v: parse_text(v, max_length=5000), required=False, width=40),
        Column(
            "rectification_plan",
            "整改措施",
            lambda v: parse_text(v, max_length=5000),
            required=False,
            width=40,
        ),
    ),
)

NOTES = [
    "每行一个问题；表头文字须与模板一致，列的顺序可以调整。",
    "问题类别填名称或编码；机构填系统中的机构全称。",
    "严重程度填“一般”“较重”或“严重”，留空则按问题类别的默认值；整改期限留空则按类别默认天数。",
    "日期可写 2026-02-10、2026/2/10 或 2026年2月10日。不接受公式。",
    "只要有一处错误，整个文件都不会导入；请按错误清单改正后重新上传。",
]


@dataclass
class ImportResult:
    report: ErrorReport = field(default_factory=ErrorReport)
    rows: int = 0
    created: list = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self):
        return not self.report


def write_template(target):
    return write_workbook(target, template_sheets([ISSUE_SHEET], NOTES))


def import_issues(fileobj, actor, *, dry_run=False):
    """Parse, check and (unless dry_run or any error) create the issues in one transaction."""
    result = ImportResult(dry_run=dry_run)
    try:
        workbook = open_workbook(fileobj)
    except SpreadsheetError as exc:
        result.report.add(ISSUE_SHEET.name, None, "", exc.message)
        return result
    categories = {}
    for category in IssueCategory.objects.all():
        categories[category.name] = category
        categories[category.code] = category
    institutions = {institution.name: institution for institution in Institution.objects.all()}
    pending = []
    try:
        for row_number, values in read_sheet(workbook, ISSUE_SHEET, result.report):
            result.rows += 1
            category = categories.get(values["category"])
            institution = institutions.get(values["institution"])
            if category is None:
                result.report.add(ISSUE_SHEET.name, row_number, "问题类别", _("没有这个问题类别"))
            if institution is None:
                result.report.add(ISSUE_SHEET.name, row_number, "机构", _("没有这个机构"))
            if category is None or institution is None:
                continue
            deadline = values.get("deadline") or services.default_deadline(category, values["found_on"])
            if deadline < values["found_on"]:
                result.report.add(ISSUE_SHEET.name, row_number, "整改期限", _("不能早于发现日期"))
                continue
            pending.append(
                Issue(
                    title=values["title"],
                    category=category,
                    institution=institution,
                    found_on=values["found_on"],
                    severity=values.get("severity") or category.default_severity,
                    deadline=deadline,
                    description=values.get("description") or "",
                    rectification_plan=values.get("rectification_plan") or "",
                    reported_by=actor,
                )
            )
    except SpreadsheetError as exc:
        result.report.add(ISSUE_SHEET.name, None, "", exc.message)
    except CellError as exc:  # pragma: no cover - read_sheet reports cell errors itself
        result.report.add(ISSUE_SHEET.name, None, "", str(exc))
    finally:
        workbook.close()
    if result.rows == 0 and not result.report:
        result.report.add(ISSUE_SHEET.name, None, "", _("没有可导入的行"))
    if result.report or dry_run:
        return result
    with transaction.atomic():
        for issue in pending:
            issue.save()
            result.created.append(issue)
    return result
