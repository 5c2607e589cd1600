from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyBrief(models.Model):
    """The bureau-wide daily leadership brief (每日会商简报) of one day: one row per day.

    Built by `workflows.brief.service.build_daily_brief`; the unique day keeps one document per day
    (a rebuild replaces its file) and names the notification key, so leadership is told once.
    """

    day = models.DateField(_("日期"), unique=True)
    document = models.ForeignKey(
        "wagtaildocs.Document",
        verbose_name=_("文档"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    built_at = models.DateTimeField(_("生成时间"))
    builds = models.PositiveIntegerField(_("生成次数"), default=1)
    # What the brief and the notification say about the day when the calendar cannot (e.g. an
    # unknown year); empty when all is well.
    calendar_note = models.CharField(_("日历说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("每日会商简报")
        verbose_name_plural = _("每日会商简报")
        ordering = ["-day"]

    def __str__(self):
        return f"{self.day:%Y-%m-%d}"
