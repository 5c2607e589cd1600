"""The shortage task, killed twice: once inside its transaction, once after it committed."""

import os

from django.db import transaction


def _runs(marker_path):
    return open(marker_path).read().split() if os.path.exists(marker_path) else []


def _mark(marker_path, word):
    with open(marker_path, "a") as marker:
        marker.write(word + "\n")


def evaluate_then_die(report_id, marker_path):
    from snippets.tasks import evaluate_stock_report

    runs = _runs(marker_path)
    if not runs:
        _mark(marker_path, "died-inside")
        with transaction.atomic():
            evaluate_stock_report(report_id)
            os._exit(9)  # the issues were written but never committed
    result = evaluate_stock_report(report_id)
    if len(runs) == 1:
        _mark(marker_path, "died-after")
        os._exit(9)  # committed, never acknowledged: the broker redelivers it
    _mark(marker_path, "done")
    return result
