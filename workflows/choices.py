from django.db import models
from django.utils.translation import gettext_lazy as _


class Stage(models.TextChoices):
    """Stages of a rectification item. Legal moves live in `workflows.stages`, never here."""

    REPORTED = "reported", _("已登记")
    ASSIGNED = "assigned", _("已交办")
    IN_PROGRESS = "in_progress", _("整改中")
    SUBMITTED = "submitted", _("待验收")
    CLOSED = "closed", _("已销号")


class EscalationLevel(models.IntegerChoices):
    """Overdue escalation, in order. Thresholds are in WorkflowSettings."""

    REMINDER = 1, _("提醒")
    SUPERVISION = 2, _("督办")
    NOTICE = 3, _("通报")
