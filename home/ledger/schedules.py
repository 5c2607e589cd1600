"""The ledger's schedules (written by workflows.scheduling.ensure_schedules)."""

from workflows.scheduling import ScheduleSpec

SCHEDULES = [
    # Hourly; the task itself waits for the hour set in the admin (LedgerSettings.draft_hour) and
    # does nothing once yesterday's disclosure is in moderation or published.
    ScheduleSpec(
        name="ledger.draft_previous_day",
        func="home.ledger.tasks.draft_previous_day",
        schedule_type="I",
        minutes=60,
    ),
    # Imports whose task was lost (Redis has no receipts): re-queued from the database.
    ScheduleSpec(
        name="ledger.requeue_stuck_imports",
        func="home.ledger.tasks.requeue_stuck_imports",
        schedule_type="I",
        minutes=10,
    ),
]
