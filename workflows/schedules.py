"""Schedules of the rectification workflow, written to django-q2 by `workflows.scheduling`.

Every job is idempotent (unique constraints) and locked against overlapping itself; with
Q_CLUSTER catch_up False a cluster that was down runs each once, not once per missed slot.
"""

from workflows.scheduling import ScheduleSpec

SCHEDULES = [
    ScheduleSpec(
        name="workflows.overdue_sweep", func="workflows.tasks.escalate_overdue", schedule_type="I", minutes=15
    ),
    ScheduleSpec(
        name="workflows.deadline_reminders",
        func="workflows.tasks.send_reminders",
        schedule_type="I",
        minutes=60,
    ),
    # Re-queues auto-assignment and email delivery the database says are due (lost tasks).
    ScheduleSpec(name="workflows.reconcile", func="workflows.tasks.reconcile", schedule_type="I", minutes=10),
    ScheduleSpec(
        name="workflows.ledger_nightly",
        func="workflows.tasks.refresh_ledger_document",
        schedule_type="C",
        cron="30 1 * * *",
    ),
    # A new day changes what is overdue: the dashboard's shared figures are computed before anyone
    # opens it (and the snapshots of past days pruned).
    ScheduleSpec(
        name="workflows.dashboard_morning",
        func="workflows.dashboard.tasks.refresh_dashboard",
        schedule_type="C",
        cron="5 0 * * *",
    ),
    # The daily leadership brief: every morning before the meeting; the task itself skips
    # non-working days (Chinese calendar, make-up working weekends included).
    ScheduleSpec(
        name="workflows.daily_brief",
        func="workflows.brief.tasks.scheduled_brief",
        schedule_type="C",
        cron="0 7 * * *",
    ),
]
