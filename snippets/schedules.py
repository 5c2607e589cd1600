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
]
