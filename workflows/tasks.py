"""django-q2 task functions: take ids, refetch, call one service function, return a small dict.

Queued with `transaction.on_commit` (never inside an open transaction) or by the schedules in
`workflows.schedules`. Per-item tasks count their attempts (`automation.run_counted`); sweeps take a
lock so that a long run never overlaps the next one.
"""

from workflows import automation


def auto_assign(issue_id):
    key = f"auto_assign:{issue_id}"
    return automation.run_counted(key, "auto_assign", lambda: automation.auto_assign(issue_id, task_ref=key))


def notify_transition(transition_id):
    key = f"notify_transition:{transition_id}"
    return automation.run_counted(
        key, "notify_transition", lambda: automation.notify_transition(transition_id)
    )


def deliver_notifications():
    from workflows.notifications import deliver_pending_emails

    with automation.sweep_lock("deliver_notifications") as acquired:
        return deliver_pending_emails() if acquired else {"status": "busy"}


def escalate_overdue():
    with automation.sweep_lock("escalate_overdue") as acquired:
        return automation.escalate_overdue() if acquired else {"status": "busy"}


def send_reminders():
    with automation.sweep_lock("send_reminders") as acquired:
        return automation.send_reminders() if acquired else {"status": "busy"}


def reconcile():
    with automation.sweep_lock("reconcile") as acquired:
        return automation.reconcile() if acquired else {"status": "busy"}


def refresh_ledger_document():
    from workflows.ledger_document import refresh_latest_ledger

    with automation.sweep_lock("refresh_ledger_document") as acquired:
        return refresh_latest_ledger() if acquired else {"status": "busy"}
