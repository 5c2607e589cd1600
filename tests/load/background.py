"""The background work of the load test, in its own process: a ledger import and the overdue sweep.

Run by tests/load/run_load.py with the same environment as the gunicorn it loads (production
settings, same database and cache), as a qcluster worker would run them. Both start together, each
in its own thread (own database connection); prints one JSON object with what each did.
"""

import datetime as dt
import io
import json
import sys
import threading
import time
import uuid
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(BASE_DIR))


def workbook(rows, day, prefix):
    import openpyxl

    from home.ledger.importers import ALLOCATION_SHEET, CASH_SHEET, GOODS_SHEET

    book = openpyxl.Workbook(write_only=True)
    cash = book.create_sheet(CASH_SHEET.name)
    cash.append(CASH_SHEET.headers())
    for index in range(rows):
        cash.append(
            [f"{prefix}{index:06d}", day.isoformat(), f"李{index % 97}", "个人", "否", "88.00", "银行转账"]
            + ["", "", "", ""]
        )
    for spec in (GOODS_SHEET, ALLOCATION_SHEET):
        book.create_sheet(spec.name).append(spec.headers())
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = f"{prefix}.xlsx"
    return buffer


def run_import(rows, out):
    from django.db import connection

    from home.ledger import services

    started = time.perf_counter()
    try:
        last = services.last_published_date()
        day = (last or dt.date.today() - dt.timedelta(days=1)) + dt.timedelta(days=1)
        prefix = f"LOAD{uuid.uuid4().hex[:8].upper()}"
        batch = services.import_ledger_file(workbook(rows, day, prefix), f"{prefix}.xlsx", run_async=False)
        out["import"] = {
            "batch": batch.pk,
            "status": batch.status,
            "message": str(batch.message),
            "prefix": prefix,
            "day": day.isoformat(),
            "rows": rows,
            "seconds": round(time.perf_counter() - started, 2),
        }
    except Exception as exc:  # reported, so that the caller sees it instead of a silent thread
        out["import"] = {"error": repr(exc), "seconds": round(time.perf_counter() - started, 2)}
    finally:
        connection.close()


def run_sweep(out):
    from django.db import connection

    from workflows import tasks

    started = time.perf_counter()
    try:
        result = tasks.escalate_overdue()
        out["sweep"] = {**result, "seconds": round(time.perf_counter() - started, 2)}
    except Exception as exc:
        out["sweep"] = {"error": repr(exc), "seconds": round(time.perf_counter() - started, 2)}
    finally:
        connection.close()


def main(argv=None):
    import argparse

    import django

    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args(argv)
    django.setup()
    out = {}
    threads = [
        threading.Thread(target=run_import, args=(args.rows, out)),
        threading.Thread(target=run_sweep, args=(out,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    print(json.dumps(out, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
