from workflows.scheduling import ScheduleSpec

SCHEDULES = [
    # Hourly is enough: an orphan file costs disk space only, and files younger than an hour are
    # skipped anyway (they may belong to an upload still in progress).
    ScheduleSpec(
        name="snippets.cleanup_orphan_photos",
        func="snippets.tasks.cleanup_orphan_photos",
        schedule_type="I",
        minutes=60,
    ),
    # The shortage rule over every institution, after the morning's reports (each report also
    # runs it for its own institution at once); also closes shortages whose stock has recovered.
    ScheduleSpec(
        name="snippets.shortage_sweep",
        func="snippets.tasks.sweep_shortages",
        schedule_type="C",
        cron="0 11 * * *",
    ),
]
