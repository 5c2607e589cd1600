from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """A day that differs from the chinesecalendar package (or from Mon-Fri in a year it lacks)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("工作日"), help_text=_("勾选：调休上班；不勾选：放假。"))
    note = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("节假日调整")
        verbose_name_plural = _("节假日调整")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {'班' if self.is_workday else '休'} {self.note}"


class CalendarYear(models.Model):
    """A year the package does not know, whose holidays an administrator has entered completely.

    Without this row (or package data) working days in that year are not guessed: the calendar
    raises UnknownCalendarYear and the admin shows it.
    """

    year = models.PositiveIntegerField(_("年份"), unique=True)
    note = models.CharField(_("依据"), max_length=200, blank=True, help_text=_("如国务院办公厅通知文号。"))

    class Meta:
        verbose_name = _("已录入的年份")
        verbose_name_plural = _("已录入的年份")
        ordering = ["year"]

    def __str__(self):
        return str(self.year)
