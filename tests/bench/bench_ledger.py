"""Measurements 1 and 2: ledger import and export of 100,000 rows against bare openpyxl.

1. `services.import_ledger_file` (validate + insert) / a bare openpyxl read-only pass over the same
   file, each in its own subprocess (so the import's peak RSS is the whole import process's,
   Django included, measured honestly by the kernel's ru_maxrss).
2. `exporters.write_staff_export` / a bare openpyxl write-only workbook of the same values read
   from the same queryset.

Each repeat imports its own file (another date, other numbers: the same file is refused as a
duplicate), so the database holds repeats x rows; the export reads one day of it, i.e. `rows` rows.
"""

import datetime as dt
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from tests.bench.core import BASE_DIR, at_most, info, ratio_at_most

IMPORT_TARGET = 2.0
EXPORT_TARGET = 1.3
MEMORY_TARGET_MB = 300


def build(rows, day, prefix):
    import openpyxl

    from home.ledger.importers import ALLOCATION_SHEET, CASH_SHEET, GOODS_SHEET

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(CASH_SHEET.name)
    sheet.append(CASH_SHEET.headers())
    for i in range(rows):
        sheet.append(
            [
                f"{prefix}{i:08d}",
                day.isoformat(),
                f"王{i % 997}",
                "个人",
                "否",
                f"{1 + i % 5000:,}.50",
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


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _worker(action, path):
    """In a subprocess: time one import or one bare read of `path`; print JSON."""
    if action == "import":
        import django

        django.setup()
        from home.ledger import services

        with open(path, "rb") as handle:
            data = io.BytesIO(handle.read())
        started = time.perf_counter()
        batch = services.import_ledger_file(data, os.path.basename(path), run_async=False)
        elapsed = time.perf_counter() - started
        if batch.status != "done":
            raise SystemExit(f"import failed: {batch.message}")
    else:
        import openpyxl

        started = time.perf_counter()
        workbook = openpyxl.load_workbook(path, read_only=True)
        count = 0
        for sheet in workbook.worksheets:
            for _row in sheet.iter_rows(values_only=True):
                count += 1
        workbook.close()
        elapsed = time.perf_counter() - started
    print(json.dumps({"seconds": elapsed, "peak_mb": _peak_mb()}))


def _run_worker(action, path):
    proc = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_ledger", action, str(path)],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        env=dict(os.environ),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{action} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def repeats_for(ctx):
    # A full-size pass takes 35-65 s on the reference machine (long enough to average out a
    # neighbour's burst): one pair each at full size keeps `make bench` under 10 minutes.
    return 1 if ctx.full else ctx.repeats


def measure(ctx):
    import openpyxl

    from home.ledger import exporters
    from home.ledger.models import LedgerEntry

    rows = ctx.rows
    repeats = repeats_for(ctx)
    days = [dt.date(2020, 2, 3) + dt.timedelta(days=k) for k in range(repeats)]
    ours, bare, peaks, bare_peaks = [], [], [], []
    for k, day in enumerate(days):
        path = ctx.workdir / f"ledger-{k}.xlsx"
        path.write_bytes(build(rows, day, f"X{k}"))
        result = _run_worker("import", path)
        ours.append(result["seconds"])
        peaks.append(result["peak_mb"])
        result = _run_worker("read", path)
        bare.append(result["seconds"])
        bare_peaks.append(result["peak_mb"])
        path.unlink()
    assert LedgerEntry.objects.count() == rows * repeats

    day = days[0]

    def bare_write():
        workbook = openpyxl.Workbook(write_only=True)
        sheet = workbook.create_sheet("台账")
        for row in exporters.staff_rows(exporters.staff_queryset(day, day)):
            sheet.append(row)
        workbook.save(io.BytesIO())

    ours_w, bare_w = ctx.side_by_side(
        lambda: exporters.write_staff_export(io.BytesIO(), day, day), bare_write, repeats=repeats
    )
    lxml = "lxml" if openpyxl.xml.LXML else "no lxml"
    return [
        ratio_at_most(
            f"1 ledger import {rows:,} rows / bare openpyxl read-only",
            statistics.median(ours),
            statistics.median(bare),
            IMPORT_TARGET,
            note=f"median of {repeats}, each in a fresh subprocess",
        ),
        at_most(
            "1 ledger import: peak RSS of the import process",
            max(peaks),
            MEMORY_TARGET_MB,
            "MB",
            note=f"bare read-only pass process: {max(bare_peaks):.0f} MB",
        ),
        ratio_at_most(
            f"2 ledger export {rows:,} rows / bare openpyxl write-only",
            ours_w,
            bare_w,
            EXPORT_TARGET,
            note=f"median of {repeats}; both read the same queryset; openpyxl with {lxml}",
        ),
        info("2 ledger export rows per second", rows / ours_w, "rows/s"),
    ]


if __name__ == "__main__":
    _worker(sys.argv[1], sys.argv[2])
