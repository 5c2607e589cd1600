"""Schedules are code: each app declares SCHEDULES in its `schedules.py`; this module writes them.

`ensure_schedules()` runs after every migrate (and from `manage.py ensure_schedules`). It keys each
django-q2 Schedule row by its namespaced name (django-q2 does not make names unique) and updates the
function, arguments and timing, but never the pause state: an administrator pauses a schedule in the
admin by setting `repeats` to 0, and a deploy must not silently resume it.
"""

from dataclasses import dataclass, field
from importlib import import_module

from django.db import transaction

PROJECT_APPS = ("home", "home.ledger", "snippets", "workflows")


@dataclass(frozen=True)
class ScheduleSpec:
    name: str  # namespaced, e.g. "workflows.overdue_sweep"
    func: str  # dotted path of a plain task function
    schedule_type: str  # a django_q.models.Schedule type: "I" (minutes), "D", "C" (cron), ...
    minutes: int | None = None
    cron: str | None = None
    kwargs: dict = field(default_factory=dict)


def declared_schedules():
    specs = []
    for app in PROJECT_APPS:
        try:
            module = import_module(f"{app}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{app}.schedules":
                raise
            continue
        specs.extend(module.SCHEDULES)
    names = [spec.name for spec in specs]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise ValueError(f"Schedule names declared twice: {sorted(duplicates)}")
    return specs


@transaction.atomic
def ensure_schedules():
    """Create or update every declared schedule; returns the names created."""
    from django_q.models import Schedule

    created = []
    for spec in declared_schedules():
        values = {
            "func": spec.func,
            "schedule_type": spec.schedule_type,
            "minutes": spec.minutes,
            "cron": spec.cron,
            "kwargs": repr(spec.kwargs) if spec.kwargs else None,
        }
        rows = list(Schedule.objects.filter(name=spec.name).order_by("pk"))
        if not rows:
            Schedule.objects.create(name=spec.name, repeats=-1, **values)
            created.append(spec.name)
            continue
        # Extra rows with the same name would run the job twice: keep the oldest.
        Schedule.objects.filter(pk__in=[row.pk for row in rows[1:]]).delete()
        Schedule.objects.filter(pk=rows[0].pk).update(**values)
    return created
