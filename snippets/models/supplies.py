"""The supplies loop's records: daily stock reports (物资日报) and the shortages they raise.

Written only by `snippets.stock` (reports, the shortage rule) and the issue services it calls.
One report per institution and day (a unique constraint: a second filing updates it); every
filing is kept in the append-only StockReportRevision. One open SupplyShortage per institution
and goods item (a partial unique constraint), each tied to the issue it raised.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class StockReport(models.Model):
    institution = models.ForeignKey(
        "snippets.Institution", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="stock_reports"
    )
    day = models.DateField(_("日期"))
    staff_count = models.PositiveIntegerField(_("工作人员数"))
    residents_count = models.PositiveIntegerField(_("在住人数"))
    revision = models.PositiveIntegerField(_("修订次数"), default=0, editable=False)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("首次填报时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("最后填报时间"), auto_now=True)

    class Meta:
        verbose_name = _("物资日报")
        verbose_name_plural = _("物资日报")
        ordering = ["-day", "institution"]
        constraints = [
            models.UniqueConstraint(fields=["institution", "day"], name="stock_report_one_per_day"),
        ]
        indexes = [models.Index(fields=["day", "institution"], name="stock_report_day_inst")]

    def __str__(self):
        return f"{self.institution} {self.day}"


class StockLine(models.Model):
    """One goods item of a report. Days of cover = on hand / daily use (use is always > 0)."""

    report = models.ForeignKey(StockReport, on_delete=models.CASCADE, related_name="lines")
    goods = models.ForeignKey(
        "ledger.GoodsItem", verbose_name=_("物资"), on_delete=models.PROTECT, related_name="stock_lines"
    )
    on_hand = models.BigIntegerField(_("库存数量"))
    daily_use = models.BigIntegerField(_("日消耗量"))

    class Meta:
        verbose_name = _("物资日报明细")
        verbose_name_plural = _("物资日报明细")
        constraints = [
            models.UniqueConstraint(fields=["report", "goods"], name="stock_line_one_per_goods"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_line_on_hand_not_negative"),
            models.CheckConstraint(condition=Q(daily_use__gt=0), name="stock_line_use_positive"),
        ]
        indexes = [models.Index(fields=["goods", "report"], name="stock_line_goods_report")]

    def __str__(self):
        return f"{self.goods}: {self.on_hand}/{self.daily_use}"

    @property
    def cover_days(self):
        return self.on_hand / self.daily_use


class StockReportRevision(models.Model):
    """Append-only history: every filing of a report, with what it said and who filed it."""

    report = models.ForeignKey(StockReport, on_delete=models.CASCADE, related_name="revisions")
    revision = models.PositiveIntegerField(_("修订次数"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("填报人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("填报时间"), auto_now_add=True)
    # {"staff_count": n, "residents_count": n, "lines": [{"goods": id, "on_hand": n, "daily_use": n}]}
    content = models.JSONField(_("内容"))

    class Meta:
        verbose_name = _("物资日报修订")
        verbose_name_plural = _("物资日报修订")
        ordering = ["report", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["report", "revision"], name="stock_report_revision_unique"),
        ]

    def __str__(self):
        return f"{self.report} #{self.revision}"


class SupplyShortage(models.Model):
    """An institution short of one goods item, and the issue raised for it. At most one open
    shortage per (institution, goods): the database refuses a second, so a rerun raises nothing."""

    institution = models.ForeignKey(
        "snippets.Institution", verbose_name=_("机构"), on_delete=models.PROTECT, related_name="shortages"
    )
    goods = models.ForeignKey(
        "ledger.GoodsItem", verbose_name=_("物资"), on_delete=models.PROTECT, related_name="shortages"
    )
    issue = models.OneToOneField(
        "snippets.Issue", verbose_name=_("问题"), on_delete=models.PROTECT, related_name="supply_shortage"
    )
    # Figures of the report that raised it.
    day = models.DateField(_("日报日期"))
    on_hand = models.BigIntegerField(_("库存数量"))
    daily_use = models.BigIntegerField(_("日消耗量"))
    threshold_days = models.PositiveSmallIntegerField(_("阈值（天）"))
    opened_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("物资短缺")
        verbose_name_plural = _("物资短缺")
        ordering = ["-opened_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["institution", "goods"],
                condition=Q(closed_at__isnull=True),
                name="supply_shortage_one_open",
            ),
        ]

    def __str__(self):
        return f"{self.institution} {self.goods}"

    @property
    def cover_days(self):
        return self.on_hand / self.daily_use

    @property
    def need(self):
        """Units needed to bring cover up to the threshold."""
        return max(0, self.threshold_days * self.daily_use - self.on_hand)
