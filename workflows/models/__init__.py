"""Rectification workflow records: the stage transition log, escalations, reminders, notifications,
the working-day calendar's overrides, task attempt counters and the admin-editable settings.

One module per family; the names are re-exported here.
"""

from .brief import DailyBrief
from .calendar import CalendarDay, CalendarYear
from .dashboard import DashboardSnapshot, DataVersion
from .log import StageTransition
from .notifications import Notification
from .settings import WorkflowSettings
from .sweeps import DeadlineReminder, Escalation
from .tasks import TaskAttempt

__all__ = [
    "CalendarDay",
    "DailyBrief",
    "DashboardSnapshot",
    "DataVersion",
    "CalendarYear",
    "DeadlineReminder",
    "Escalation",
    "Notification",
    "StageTransition",
    "TaskAttempt",
    "WorkflowSettings",
]
