"""Safe spreadsheet reading and writing, shared by every importer and exporter of the project.

Reading: `open_workbook()` checks the bytes and the zip container *before* openpyxl sees them (a
310 KB zip bomb kept openpyxl busy for minutes even in read-only mode), then opens the workbook in
read-only mode; `read_sheet()` streams rows through a `SheetSpec`, parsing each cell with a tolerant
parser and collecting every problem in an `ErrorReport` (sheet, row, column, reason) instead of
stopping at the first one. Writing: `write_workbook()` uses write-only mode, keeps numbers and dates
typed, and stores every text cell as a string so that no text (``=HYPERLINK(...)``, ``+1+2``,
``@SUM(A1)``) can become a live formula; `csv_safe()` does the same for CSV with a leading quote.

Used by home.ledger (the donation ledger) and by the inspections importer; keep it generic.
"""

import copy
import datetime as dt
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import openpyxl
from defusedxml import DefusedXmlException
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# Limits: overridable in settings. A real ledger of 100,000 rows is ~5 MB zipped, ~60 MB unzipped.
DEFAULT_MAX_ROWS = 200_000
DEFAULT_MAX_COLUMNS = 40
DEFAULT_MAX_MEMBERS = 200
DEFAULT_MAX_UNCOMPRESSED = 200 * 1024 * 1024
DEFAULT_MAX_RATIO = 100
# Ratios of tiny members (an empty styles.xml) say nothing about a bomb.
RATIO_MIN_MEMBER_SIZE = 1024 * 1024

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = b"PK\x03\x04"


def limit(name, default):
    return getattr(settings, name, default)


class SpreadsheetError(Exception):
    """The file as a whole cannot be read; `message` is a user-facing Chinese sentence."""

    def __init__(self, message, code="invalid"):
        super().__init__(str(message))
        self.message = str(message)
        self.code = code


class CellError(ValueError):
    """One cell is invalid; the reader turns it into a RowError with its position."""


@dataclass(frozen=True)
class RowError:
    sheet: str
    row: int | None
    column: str
    reason: str

    def as_dict(self):
        return {"sheet": self.sheet, "row": self.row, "column": self.column, "reason": self.reason}


@dataclass
class ErrorReport:
    """Every problem of one file, in reading order. Reasons never quote private cell values."""

    errors: list[RowError] = field(default_factory=list)
    max_errors: int = 1000
    truncated: bool = False

    def add(self, sheet, row, column, reason):
        if len(self.errors) >= self.max_errors:
            self.truncated = True
            return
        self.errors.append(RowError(str(sheet), row, str(column), str(reason)))

    def __bool__(self):
        return bool(self.errors)

    def __len__(self):
        return len(self.errors)

    def as_list(self):
        return [error.as_dict() for error in self.errors]

    def as_text(self):
        lines = [
            _("工作表 {sheet} 第 {row} 行 {column}：{reason}").format(
                sheet=e.sheet,
                row=e.row if e.row is not None else "-",
                column=e.column or "-",
                reason=e.reason,
            )
            for e in self.errors
        ]
        if self.truncated:
            lines.append(_("错误过多，仅列出前 {n} 条").format(n=self.max_errors))
        return "\n".join(lines)


# --- Opening -----------------------------------------------------------------------------------------


def precheck_bytes(head: bytes):
    """Refuse what is clearly not an xlsx, with a specific message, from the first bytes."""
    if not head:
        raise SpreadsheetError(_("文件为空"), "empty")
    if head.startswith(OLE2_MAGIC):
        # Both legacy .xls and password-protected .xlsx are OLE2 compound files.
        raise SpreadsheetError(
            _("这是旧版 .xls 文件或受密码保护的文件，请去掉密码并另存为 .xlsx 后再上传"), "ole2"
        )
    stripped = head.lstrip().lower()
    if stripped.startswith((b"<!doctype html", b"<html", b"<?xml", b"<table")):
        raise SpreadsheetError(_("这是网页或 XML 文件而不是 Excel 文件，请另存为 .xlsx 后再上传"), "html")
    if not head.startswith(ZIP_MAGIC):
        raise SpreadsheetError(_("文件不是有效的 Excel (.xlsx) 文件"), "not_xlsx")


def precheck_zip(fileobj):
    """Check the zip container without decompressing anything: members, sizes, ratios."""
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, EOFError, ValueError) as exc:
        raise SpreadsheetError(_("文件已损坏或不完整，请重新保存后上传"), "bad_zip") from exc
    with archive:
        members = archive.infolist()
        if len(members) > limit("SPREADSHEET_MAX_MEMBERS", DEFAULT_MAX_MEMBERS):
            raise SpreadsheetError(_("文件内容无效：压缩包成员过多"), "zip_members")
        total = 0
        max_ratio = limit("SPREADSHEET_MAX_RATIO", DEFAULT_MAX_RATIO)
        for member in members:
            total += member.file_size
            if member.file_size >= RATIO_MIN_MEMBER_SIZE and member.file_size > max_ratio * max(
                member.compress_size, 1
            ):
                raise SpreadsheetError(_("文件内容无效：压缩比异常（疑似压缩炸弹）"), "zip_ratio")
        if total > limit("SPREADSHEET_MAX_UNCOMPRESSED", DEFAULT_MAX_UNCOMPRESSED):
            raise SpreadsheetError(_("文件内容无效：解压后体积过大"), "zip_size")
        names = {member.filename for member in members}
        if "[Content_Types].xml" not in names:
            raise SpreadsheetError(
                _("文件不是有效的 Excel (.xlsx) 文件：缺少 [Content_Types].xml"), "no_content_types"
            )
        if not any(name.startswith("xl/worksheets/") for name in names):
            raise SpreadsheetError(_("文件不是有效的 Excel (.xlsx) 文件：没有工作表"), "no_sheets")


def open_workbook(fileobj):
    """Open an uploaded xlsx safely in read-only mode; raises SpreadsheetError with a clear reason.

    The caller keeps the file open while reading rows and closes the workbook afterwards.
    """
    fileobj.seek(0)
    precheck_bytes(fileobj.read(512))
    fileobj.seek(0)
    precheck_zip(fileobj)
    fileobj.seek(0)
    try:
        # data_only=False: a formula cell reads as its "=..." text, which the parsers refuse,
        # instead of a cached value that may be stale or missing.
        return openpyxl.load_workbook(fileobj, read_only=True, data_only=False, keep_links=False)
    except DefusedXmlException as exc:
        raise SpreadsheetError(_("文件内容无效"), "xml") from exc
    except (zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise SpreadsheetError(_("文件已损坏或不完整，请重新保存后上传"), "corrupt") from exc
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many types on malformed XML
        raise SpreadsheetError(_("文件内容无效"), "invalid") from exc


# --- Cell parsers -------------------------------------------------------------------------------------


def normalise_text(value):
    """NFKC (full-width digits and punctuation to ASCII) and trimmed; None for empty."""
    if value is None:
        return None
    if not isinstance(value, str):
        value = str(value)
    value = unicodedata.normalize("NFKC", value).strip()
    return value or None


class FormulaCell(str):
    """The "=..." text of a real formula cell (data_type "f"), told apart from text typed as "=..."."""


def _cell_value(cell):
    if cell.data_type == "f":
        value = cell.value
        # Array formulas read as an ArrayFormula object whose .text holds the formula.
        return FormulaCell(getattr(value, "text", value) or "=")
    return cell.value


def refuse_formula(value):
    """Numbers, dates and choices: any "=..." is refused, whether a formula cell or typed text."""
    if isinstance(value, str) and value.lstrip().startswith("="):
        raise CellError(_("不接受公式，请填写数值"))


def refuse_formula_cell(value):
    """Text columns: only a real formula cell is refused; text such as "=HYPERLINK(...)" is kept."""
    if isinstance(value, FormulaCell):
        raise CellError(_("不接受公式，请填写文字"))


_AMOUNT_PREFIXES = ("¥", "RMB", "CNY", "人民币")
_AMOUNT_SUFFIXES = ("元整", "元", "圆", "RMB", "CNY")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$")


def parse_decimal(value, *, places=2, allow_negative=False, allow_zero=False):
    """Exact Decimal with `places` decimals from what clerks type; raises CellError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CellError(_("不能为空"))
    if isinstance(value, bool):
        raise CellError(_("不是有效的数值"))
    quantum = Decimal(1).scaleb(-places)
    if isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        # Excel stores 0.1+0.2 as 0.30000000000000004: accept float noise, not real extra decimals.
        rounded = round(value, places)
        if abs(value - rounded) > 1e-9 * max(1.0, abs(value)):
            raise CellError(_("最多 {n} 位小数").format(n=places))
        number = Decimal(repr(rounded))
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        refuse_formula(value)
        text = normalise_text(value) or ""
        text = text.replace(" ", "").replace("，", ",")
        for prefix in _AMOUNT_PREFIXES:
            if text.upper().startswith(prefix):
                text = text[len(prefix) :]
                break
        for suffix in _AMOUNT_SUFFIXES:
            if text.upper().endswith(suffix):
                text = text[: -len(suffix)]
                break
        if _GROUPED_NUMBER.match(text):
            text = text.replace(",", "")
        if not _PLAIN_NUMBER.match(text):
            raise CellError(_("不是有效的数值"))
        try:
            number = Decimal(text)
        except InvalidOperation as exc:
            raise CellError(_("不是有效的数值")) from exc
    else:
        raise CellError(_("不是有效的数值"))
    if not number.is_finite():
        raise CellError(_("不是有效的数值"))
    if number != number.quantize(quantum, rounding=ROUND_HALF_UP):
        raise CellError(_("最多 {n} 位小数").format(n=places))
    number = number.quantize(quantum)
    if number < 0 and not allow_negative:
        raise CellError(_("不能为负数"))
    if number == 0 and not allow_zero:
        raise CellError(_("必须大于零"))
    return number


def parse_amount(value, *, allow_negative=False):
    """Yuan, 2 decimal places: 1,000.00 / ¥500 / 500元 / １２３ / Excel numbers."""
    return parse_decimal(value, places=2, allow_negative=allow_negative)


def parse_int(value, *, allow_negative=False, allow_zero=False):
    number = parse_decimal(value, places=0, allow_negative=allow_negative, allow_zero=allow_zero)
    return int(number)


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value):
    """A date from an Excel date/serial or text 2020-02-03, 2020/2/3, 2020年2月3日.

    Aware datetimes are converted to the project's time zone (Asia/Shanghai) before taking the day,
    so that 00:30+08:00 falls on its own day.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        raise CellError(_("不能为空"))
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, bool):
        raise CellError(_("不是有效的日期"))
    if isinstance(value, int | float):
        if not 1 <= value < 2958466:
            raise CellError(_("不是有效的日期"))
        converted = from_excel(value)
        return converted.date() if isinstance(converted, dt.datetime) else converted
    if isinstance(value, str):
        refuse_formula(value)
        text = (normalise_text(value) or "").replace(" ", "")
        # "2020-02-03 10:00:00" as typed text: the day is what counts.
        text = re.split(r"[T ]", text, maxsplit=1)[0] if re.match(r"^\d{4}-\d", text) else text
        for pattern in _DATE_PATTERNS:
            match = pattern.match(text)
            if match:
                year, month, day = (int(part) for part in match.groups())
                try:
                    return dt.date(year, month, day)
                except ValueError as exc:
                    raise CellError(_("不是有效的日期")) from exc
        if re.match(r"^\d+(\.\d+)?$", text):
            return parse_date(float(text))
    raise CellError(_("不是有效的日期"))


def parse_text(value, *, max_length=200, required=True):
    """Trimmed text (full-width letters kept as typed, digits normalised); formula cells refused.

    Text cells starting with = + - @ are stored as typed: the exporter writes such text safely as a
    string cell, so it must come back unchanged on re-import.
    """
    refuse_formula_cell(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if value is not None and not isinstance(value, str):
        value = str(value)
    text = value.strip() if value else None
    if not text:
        if required:
            raise CellError(_("不能为空"))
        return ""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > max_length:
        raise CellError(_("超过 {n} 个字符").format(n=max_length))
    return text


def parse_choice(choices):
    """A parser accepting either the stored value or the Chinese label of a TextChoices."""
    lookup = {}
    for value, label in choices:
        lookup[str(value).lower()] = value
        lookup[str(label).lower()] = value

    def parse(value):
        text = normalise_text(value)
        if not text:
            raise CellError(_("不能为空"))
        refuse_formula(text)
        try:
            return lookup[text.lower()]
        except KeyError as exc:
            raise CellError(
                _("应为以下之一：{options}").format(options="、".join(str(label) for _v, label in choices))
            ) from exc

    return parse


def parse_bool(value):
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    text = (normalise_text(value) or "").lower()
    if text in {"是", "y", "yes", "true", "1", "匿名"}:
        return True
    if text in {"否", "n", "no", "false", "0", ""}:
        return False
    raise CellError(_("应填“是”或“否”"))


# --- Reading sheets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the Chinese header text in row 1
    parser: Callable[[Any], Any] | None = None  # None: text
    required: bool = True
    width: int = 14
    # Example value for the template; private columns are marked in the header note only.
    example: Any = ""
    note: str = ""

    def parse(self, value):
        if value is None or (isinstance(value, str) and not value.strip()):
            if self.required:
                raise CellError(_("不能为空"))
            return None
        if self.parser is None:
            return parse_text(value, required=self.required)
        return self.parser(value)


@dataclass(frozen=True)
class SheetSpec:
    name: str  # sheet title
    columns: tuple[Column, ...]
    title: Any = ""

    def headers(self):
        return [column.header for column in self.columns]


def _header_key(value):
    text = normalise_text(value) or ""
    return re.sub(r"[\s*＊（）()]", "", text.split("\n")[0])


def read_sheet(workbook, spec: SheetSpec, report: ErrorReport, *, required=True):
    """Yield (row_number, {key: parsed value}) for every valid non-empty row of one sheet.

    Invalid rows are reported (all of their bad cells) and not yielded. The sheet's header row is
    matched by header text, so clerks may reorder or add columns. Rows and columns are capped by
    SPREADSHEET_MAX_ROWS / SPREADSHEET_MAX_COLUMNS; the whole file is refused past the cap.
    """
    if spec.name not in workbook.sheetnames:
        if required:
            report.add(spec.name, None, "", _("缺少工作表“{name}”").format(name=spec.name))
        return
    sheet = workbook[spec.name]
    max_rows = limit("SPREADSHEET_MAX_ROWS", DEFAULT_MAX_ROWS)
    max_columns = limit("SPREADSHEET_MAX_COLUMNS", DEFAULT_MAX_COLUMNS)
    declared_rows, declared_columns = sheet.max_row, sheet.max_column
    if (declared_rows or 0) > max_rows + 1 or (declared_columns or 0) > max_columns:
        raise SpreadsheetError(
            _("超过最大行数/列数（{rows} 行、{columns} 列）").format(rows=max_rows, columns=max_columns),
            "too_big",
        )
    # Cells, not values_only: only the cell's data_type tells a formula from text typed as "=...".
    rows = (tuple(map(_cell_value, cells)) for cells in sheet.iter_rows(max_col=max_columns + 1))
    header = next(rows, None)
    if header is None:
        report.add(spec.name, 1, "", _("缺少表头行"))
        return
    if len(header) > max_columns and any(value is not None for value in header[max_columns:]):
        raise SpreadsheetError(
            _("超过最大行数/列数（{rows} 行、{columns} 列）").format(rows=max_rows, columns=max_columns)
        )
    positions = {}
    for index, value in enumerate(header):
        key = _header_key(value)
        if key:
            positions.setdefault(key, index)
    index_of = {}
    for column in spec.columns:
        position = positions.get(_header_key(column.header))
        if position is None:
            if column.required:
                report.add(spec.name, 1, column.header, _("缺少列“{header}”").format(header=column.header))
            continue
        index_of[column.key] = position
    if any(column.required and column.key not in index_of for column in spec.columns):
        return
    for row_number, values in enumerate(rows, start=2):
        if row_number > max_rows + 1:
            raise SpreadsheetError(
                _("超过最大行数/列数（{rows} 行、{columns} 列）").format(rows=max_rows, columns=max_columns),
                "too_big",
            )
        if len(values) > max_columns and any(value is not None for value in values[max_columns:]):
            raise SpreadsheetError(
                _("超过最大行数/列数（{rows} 行、{columns} 列）").format(rows=max_rows, columns=max_columns),
                "too_big",
            )
        if all(value is None or (isinstance(value, str) and not value.strip()) for value in values):
            continue
        parsed, ok = {}, True
        for column in spec.columns:
            position = index_of.get(column.key)
            raw = values[position] if position is not None and position < len(values) else None
            try:
                parsed[column.key] = column.parse(raw)
            except CellError as exc:
                report.add(spec.name, row_number, column.header, str(exc))
                ok = False
        if ok:
            yield row_number, parsed


# --- Writing --------------------------------------------------------------------------------------

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def clean_text(value: str) -> str:
    """Remove characters XML cannot hold (\\0 and other control characters)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def csv_safe(value):
    """For CSV: numbers unchanged, text starting with = + - @ tab CR prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = clean_text(value)
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
        return value
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if timezone.is_aware(value) else value
    return value


@dataclass(frozen=True)
class OutColumn:
    header: str
    width: int = 14
    number_format: str | None = None  # e.g. "#,##0.00" for yuan, "yyyy-mm-dd" for dates


@dataclass
class OutSheet:
    title: str
    columns: list[OutColumn]
    rows: Iterable[Iterable[Any]]


class _SafeRow:
    """Turns one row of Python values into what the write-only sheet appends.

    Plain values go through untouched (the fast path); text that openpyxl would read as a formula is
    wrapped in a cell forced to string type; numbers with a format get a styled cell.
    """

    def __init__(self, sheet, columns):
        self.sheet = sheet
        # One style per formatted column, computed once and copied onto each cell: setting
        # number_format per cell costs a style lookup every time.
        self.styles = []
        for column in columns:
            style = None
            if column.number_format:
                template = WriteOnlyCell(sheet)
                template.number_format = column.number_format
                style = template._style
            self.styles.append(style)

    def __call__(self, row):
        out = []
        styles = self.styles
        for index, value in enumerate(row):
            if isinstance(value, str):
                if ILLEGAL_CHARACTERS_RE.search(value):
                    value = clean_text(value)
                if value.startswith("="):
                    cell = WriteOnlyCell(self.sheet, value=None)
                    cell._value = value
                    cell.data_type = "s"
                    out.append(cell)
                else:
                    # openpyxl stores other strings as text already (only "=" becomes a formula).
                    out.append(value)
                continue
            style = styles[index] if index < len(styles) else None
            if style is not None and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
                cell = WriteOnlyCell(self.sheet, value=value)
                cell._style = copy.copy(style)
                out.append(cell)
            else:
                # Dates get openpyxl's own yyyy-mm-dd format; None and plain numbers pass through.
                out.append(value)
        return out


def write_workbook(target, sheets: list[OutSheet]):
    """Write sheets in write-only mode to a path or binary file; returns the target."""
    workbook = openpyxl.Workbook(write_only=True)
    for spec in sheets:
        sheet = workbook.create_sheet(title=spec.title[:31])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(spec.columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = column.width
        sheet.append([clean_text(str(column.header)) for column in spec.columns])
        convert = _SafeRow(sheet, spec.columns)
        for row in spec.rows:
            sheet.append(convert(row))
    workbook.save(target)
    return target


def template_sheets(specs: list[SheetSpec], notes: list[str]):
    """Sheets of an import template: headers, one example row each, and a notes sheet."""
    sheets = [
        OutSheet(
            title=spec.name,
            columns=[OutColumn(header=column.header, width=column.width) for column in spec.columns],
            rows=[[column.example for column in spec.columns]],
        )
        for spec in specs
    ]
    sheets.append(
        OutSheet(
            title=str(gettext_lazy("填写说明")),
            columns=[OutColumn(str(gettext_lazy("说明")), 100)],
            rows=[[line] for line in notes],
        )
    )
    return sheets
