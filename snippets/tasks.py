"""django-q2 tasks of the inspection records: plain functions, one service call each."""

from snippets import services


def cleanup_orphan_photos():
    """Photo and attachment files left without a row by a crash between the file write and the
    commit (one schedule for the whole private store)."""
    photos = services.cleanup_orphan_photo_files()["deleted"]
    attachments = services.cleanup_orphan_attachment_files()["deleted"]
    return {"deleted": photos + attachments}


def evaluate_stock_report(report_id):
    """The shortage rule for the institution of one stock report (queued when it is filed)."""
    from snippets import stock
    from snippets.models import StockReport
    from workflows import automation

    report = StockReport.objects.filter(pk=report_id).values("institution_id", "revision").first()
    if report is None:
        return {"status": "gone", "report": report_id}
    key = f"evaluate_stock_report:{report_id}:{report['revision']}"
    return automation.run_counted(
        key, "evaluate_stock_report", lambda: stock.evaluate_shortages([report["institution_id"]])
    )


def sweep_shortages():
    """The daily sweep of the shortage rule over every institution (snippets.schedules)."""
    from snippets import stock
    from workflows import automation

    with automation.sweep_lock("sweep_shortages") as acquired:
        return stock.evaluate_shortages() if acquired else {"status": "busy"}


def assign_shortage_issues(issue_ids):
    """Auto-assign the issues one shortage run raised in bulk (post_save does not fire for them)."""
    from workflows.tasks import auto_assign

    return {"assigned": [auto_assign(issue_id).get("status") for issue_id in issue_ids]}
