from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows.choices import EscalationLevel


class Escalation(models.Model):
    """An overdue item reached a level. Unique per (issue, level): a rerun of the sweep adds nothing."""

    issue = models.ForeignKey(
        "snippets.Issue", verbose_name=_("问题"), on_delete=models.CASCADE, related_name="escalations"
    )
    level = models.PositiveSmallIntegerField(_("级别"), choices=EscalationLevel.choices)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    # Which run of the sweep created it: the run notifies only the rows it created itself.
    run_id = models.CharField(max_length=32, db_index=True)
    deadline = models.DateField(_("当时的整改期限"))
    # False when a higher level was reached in the same run (after downtime): one message, not three.
    notified = models.BooleanField(_("已通知"), default=False)

    class Meta:
        verbose_name = _("逾期升级")
        verbose_name_plural = _("逾期升级")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "level"], name="workflows_escalation_once_per_level"),
        ]

    def __str__(self):
        return f"{self.issue_id} {self.get_level_display()}"


class DeadlineReminder(models.Model):
    """A reminder before the deadline. Unique per (issue, deadline): one per deadline, however many
    times the sweep runs; a new deadline gets its own reminder."""

    issue = models.ForeignKey(
        "snippets.Issue", verbose_name=_("问题"), on_delete=models.CASCADE, related_name="deadline_reminders"
    )
    deadline = models.DateField(_("整改期限"))
    created_at = models.DateTimeField(_("时间"), auto_now_add=True)
    run_id = models.CharField(max_length=32, db_index=True)

    class Meta:
        verbose_name = _("到期提醒")
        verbose_name_plural = _("到期提醒")
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "deadline"], name="workflows_reminder_once_per_deadline"
            ),
        ]

    def __str__(self):
        return f"{self.issue_id} {self.deadline}"
