from django.db import models
from django.utils.translation import gettext_lazy as _

from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


@register_setting(icon="time")
class WorkflowSettings(BaseGenericSetting):
    """Timing of reminders and escalations, edited by administrators (Settings → 整改设置)."""

    reminder_lead_days = models.PositiveIntegerField(
        _("到期前提醒（工作日）"), default=2, help_text=_("整改期限前多少个工作日提醒责任人。")
    )
    supervision_after_days = models.PositiveIntegerField(_("逾期多少个工作日后督办"), default=3)
    notice_after_days = models.PositiveIntegerField(_("逾期多少个工作日后通报"), default=7)
    max_task_attempts = models.PositiveIntegerField(
        _("任务最多尝试次数"), default=3, help_text=_("超过后任务标记为失败并告警，不再重试。")
    )
    latest_ledger = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("最新整改台账"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    latest_ledger_at = models.DateTimeField(_("台账生成时间"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("整改设置")
