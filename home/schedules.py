from workflows.scheduling import ScheduleSpec

SCHEDULES = [
    # Every minute: the admin schedules go-live and expiry to the minute, so a page or channel set to
    # go live at 09:00 is public by 09:01. The command is one indexed query when nothing is due.
    ScheduleSpec(
        name="home.publish_scheduled",
        func="home.tasks.publish_scheduled",
        schedule_type="I",
        minutes=1,
    ),
]
