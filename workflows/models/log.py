from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from workflows.choices import Stage


class AppendOnlyError(Exception):
    """The transition log is append-only: rows are never changed or deleted."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("StageTransition rows are append-only")

    def delete(self):
        raise AppendOnlyError("StageTransition rows are append-only")


class StageTransition(models.Model):
    """One stage move of an issue. Written only by `workflows.services.transition`; never updated."""

    issue = models.ForeignKey(
        "snippets.Issue", verbose_name=_("问题"), on_delete=models.PROTECT, related_name="transitions"
    )
    move = models.CharField(_("操作"), max_length=30)
    from_stage = models.CharField(_("原阶段"), max_length=20, choices=Stage.choices)
    to_stage = models.CharField(_("新阶段"), max_length=20, choices=Stage.choices)
    # The version the move produced: (issue, version) is unique, so two moves from one state
    # cannot both be logged even if a caller skipped the conditional update.
    version = models.PositiveIntegerField(_("版本"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept so the log still names the person after the account is deleted; "" means the system.
    actor_name = models.CharField(_("操作人姓名"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    note = models.TextField(_("说明"), blank=True)
    evidence = models.TextField(_("整改情况"), blank=True)
    task_id = models.CharField(_("任务"), max_length=64, blank=True)
    request_key = models.CharField(max_length=100, null=True, blank=True, unique=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("阶段变更记录")
        verbose_name_plural = _("阶段变更记录")
        ordering = ["issue", "version"]
        # The dashboard's closures (issue #8, measurement 8): time to close and the daily trend read
        # the close moves (by day) from the index alone.
        indexes = [models.Index(fields=["to_stage", "created_at", "issue"], name="transition_stage_at_issue")]
        constraints = [
            models.UniqueConstraint(fields=["issue", "version"], name="workflows_transition_issue_version"),
        ]

    def __str__(self):
        return f"{self.issue_id}: {self.from_stage} → {self.to_stage}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("StageTransition rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("StageTransition rows are append-only")

    @property
    def move_label(self):
        from workflows.stages import MOVE_LABELS

        return MOVE_LABELS.get(self.move, self.move)

    @property
    def actor_display(self):
        if self.actor_name:
            return self.actor_name
        return _("系统") if not self.actor_id else str(self.actor_id)
