"""The 整改台账 rectification ledger as an .xlsx, in the columns the bureaus use.

Used by `manage.py export_rectification_ledger`, the admin download (same filters as the listing)
and the nightly task that keeps the latest one as a Wagtail document.
"""

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from workflows.choices import Stage
from workflows.models import StageTransition

LEDGER_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = (
    ("序号", 6),
    ("问题类别", 14),
    ("机构", 24),
    ("乡镇", 12),
    ("问题描述", 40),
    ("整改措施", 40),
    ("责任人", 12),
    ("整改时限", 12),
    ("整改阶段", 10),
    ("是否逾期", 8),
    ("销号日期", 12),
    ("销号审批人", 12),
)
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """Text that a spreadsheet shows as text: a leading =, +, -, @ would start a formula (OWASP)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def ledger_filename(day=None):
    day = day or timezone.localdate()
    return f"rectification-ledger-{day:%Y%m%d}.xlsx"


def ledger_rows(queryset, today=None):
    today = today or timezone.localdate()
    closing = StageTransition.objects.filter(issue=OuterRef("pk"), to_stage=Stage.CLOSED).order_by("-version")
    queryset = (
        queryset.select_related("category", "institution", "responsible_person")
        .annotate(closed_at=Subquery(closing.values("created_at")[:1]))
        .annotate(closed_by=Subquery(closing.values("actor_name")[:1]))
        .order_by("found_on", "number")
    )
    for index, issue in enumerate(queryset.iterator(chunk_size=2000), start=1):
        person = issue.responsible_person
        overdue = issue.stage != Stage.CLOSED and issue.deadline < today
        yield [
            index,
            safe_text(issue.category.name),
            safe_text(issue.institution.name),
            safe_text(issue.institution.township),
            safe_text(issue.description or issue.title),
            safe_text(issue.rectification_plan),
            safe_text((person.get_full_name() or person.get_username()) if person else ""),
            issue.deadline,
            str(Stage(issue.stage).label),
            "是" if overdue else "否",
            timezone.localtime(issue.closed_at).date() if issue.closed_at else None,
            safe_text(issue.closed_by or ""),
        ]


def write_ledger(queryset, fileobj, today=None):
    """Write the ledger of `queryset` (already filtered and scoped) to a binary file object."""
    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = "整改台账"
    sheet.append([name for name, _width in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for column, (_name, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=column).column_letter].width = width
    count = 0
    for row in ledger_rows(queryset, today=today):
        sheet.append(row)
        count += 1
    for row in sheet.iter_rows(min_row=2, min_col=8, max_col=8):
        row[0].number_format = "yyyy-mm-dd"
    for row in sheet.iter_rows(min_row=2, min_col=11, max_col=11):
        row[0].number_format = "yyyy-mm-dd"
    sheet.freeze_panes = "A2"
    workbook.save(fileobj)
    return count
