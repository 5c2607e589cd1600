from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskAttempt(models.Model):
    """Attempts of one logical task (e.g. "auto_assign:42"), counted before the work starts.

    django-q2's max_attempts never sees a task that kills its worker; this counter does.
    """

    class State(models.TextChoices):
        RUNNING = "running", _("运行中")
        DONE = "done", _("完成")
        FAILED = "failed", _("失败")

    key = models.CharField(max_length=120, unique=True)
    func = models.CharField(_("任务"), max_length=120)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.RUNNING)
    last_started_at = models.DateTimeField(_("最近开始"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    error = models.TextField(_("错误"), blank=True)

    class Meta:
        verbose_name = _("任务尝试")
        verbose_name_plural = _("任务尝试")
        ordering = ["-last_started_at"]

    def __str__(self):
        return f"{self.key} ({self.attempts})"
