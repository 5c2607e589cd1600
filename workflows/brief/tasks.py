"""django-q2 tasks of the daily brief: take a day, call one service, return a small dict.

`scheduled_brief` is named by the `workflows.daily_brief` schedule (workflows/schedules.py) and
runs every morning; it builds only on working days (make-up working weekends included), and on a
day of an unknown calendar year it builds anyway with the year named in the brief and notification.
`build_brief` is queued on commit by the dashboard's button.
"""

import datetime as dt

from django.utils import timezone

from workflows.calendar import UnknownCalendarYear, is_workday


def build_brief(day_iso):
    from workflows.brief.service import build_daily_brief

    # Two builds of one day are serialised by the service's row lock on the day's DailyBrief.
    result = build_daily_brief(dt.date.fromisoformat(day_iso))
    return {"day": day_iso, **result}


def scheduled_brief(day_iso=None):
    day = dt.date.fromisoformat(day_iso) if day_iso else timezone.localdate()
    try:
        working = is_workday(day)
    except UnknownCalendarYear:
        working = True  # not guessed: built, and the brief names the unknown year
    if not working:
        return {"status": "not a working day", "day": day.isoformat()}
    return build_brief(day.isoformat())
