"""Ledger import/export benchmark: prints the ratios against bare openpyxl for N rows.

Not a test (no test_ prefix). Run:
    .venv/bin/python tests/bench/bench_ledger.py [ROWS]
It uses a throw-away SQLite database under var/ and prints wall times, ratios and peak RSS.
"""

import io
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

BASE = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cms.settings.dev")
(BASE / "var").mkdir(exist_ok=True)
workdir = Path(tempfile.mkdtemp(prefix="bench-ledger-", dir=BASE / "var"))
os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
os.environ["PRIVATE_MEDIA_ROOT"] = str(workdir / "private")
os.environ["VAR_DIR"] = str(workdir)

import django  # noqa: E402

django.setup()

import openpyxl  # noqa: E402

from django.core.management import call_command  # noqa: E402

from home.ledger import exporters, services  # noqa: E402
from home.ledger.importers import ALLOCATION_SHEET, CASH_SHEET, GOODS_SHEET  # noqa: E402
from home.ledger.models import LedgerEntry  # noqa: E402


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(rows):
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(CASH_SHEET.name)
    sheet.append(CASH_SHEET.headers())
    for i in range(rows):
        name = f"王{i % 997}"
        sheet.append(
            [
                f"XJ{i:08d}",
                "2020-02-03",
                name,
                "个人",
                "否",
                "1,000.50",
                "银行转账",
                "",
                "13900000000",
                "",
                "",
            ]
        )
    for spec in (GOODS_SHEET, ALLOCATION_SHEET):
        workbook.create_sheet(spec.name).append(spec.headers())
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(label, func):
    started = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - started
    print(f"{label:<38} {elapsed:8.2f} s   peak RSS {rss_mb():7.0f} MB")
    return elapsed, result


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    call_command("migrate", verbosity=0)
    data = build(rows)
    print(f"{rows} rows, file {len(data) / 1e6:.1f} MB, database {workdir}")

    def bare_read():
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        count = 0
        for sheet in workbook.worksheets:
            for _row in sheet.iter_rows(values_only=True):
                count += 1
        workbook.close()
        return count

    bare, _count = timed("bare openpyxl read-only pass", bare_read)
    ours, batch = timed(
        "import_ledger_file (validate + insert)",
        lambda: services.import_ledger_file(io.BytesIO(data), "bench.xlsx", run_async=False),
    )
    assert batch.status == "done", batch.message
    assert LedgerEntry.objects.count() == rows
    print(f"IMPORT ratio: {ours / bare:.2f}x (target 2x)")

    def bare_write():
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("台账")
        for row in exporters.staff_rows(exporters.staff_queryset()):
            sheet.append(row)
        workbook.save(io.BytesIO())

    bare_w, _ = timed("bare openpyxl write-only pass", bare_write)
    ours_w, _ = timed("write_staff_export", lambda: exporters.write_staff_export(io.BytesIO()))
    print(f"EXPORT ratio: {ours_w / bare_w:.2f}x (target 1.3x; both read the same queryset)")


if __name__ == "__main__":
    main()
