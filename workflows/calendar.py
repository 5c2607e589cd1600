"""Chinese working days: the chinesecalendar package (official holidays and make-up working
weekends, 调休) plus the admin-edited CalendarDay overrides. A year that neither the package nor an
administrator (CalendarYear) covers raises UnknownCalendarYear: deadlines are not guessed.
"""

import datetime

import chinese_calendar

from django.utils.translation import gettext as _

from workflows.models import CalendarDay, CalendarYear


class UnknownCalendarYear(Exception):
    def __init__(self, year):
        super().__init__(_("%(year)d 年的节假日安排尚未录入，无法计算工作日。") % {"year": year})
        self.year = year


def package_knows(year):
    try:
        chinese_calendar.is_workday(datetime.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


class WorkingCalendar:
    """Answers for a span of dates with one query for the overrides."""

    def __init__(self):
        self._overrides = None
        self._declared = None

    def _load(self):
        if self._overrides is None:
            self._overrides = dict(CalendarDay.objects.values_list("date", "is_workday"))
            self._declared = set(CalendarYear.objects.values_list("year", flat=True))

    def is_workday(self, day):
        self._load()
        if day in self._overrides:
            return self._overrides[day]
        if package_knows(day.year):
            return chinese_calendar.is_workday(day)
        if day.year in self._declared:
            return day.weekday() < 5
        raise UnknownCalendarYear(day.year)

    def add_working_days(self, start, days):
        """The date `days` working days after `start` (start itself not counted)."""
        day = start
        remaining = days
        while remaining > 0:
            day += datetime.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day

    def subtract_working_days(self, end, days):
        """The date `days` working days before `end`."""
        day = end
        remaining = days
        while remaining > 0:
            day -= datetime.timedelta(days=1)
            if self.is_workday(day):
                remaining -= 1
        return day


def add_working_days(start, days):
    return WorkingCalendar().add_working_days(start, days)


def subtract_working_days(end, days):
    return WorkingCalendar().subtract_working_days(end, days)


def is_workday(day):
    return WorkingCalendar().is_workday(day)


def year_status(year):
    """What the admin shows for a year: where its working days come from, or that it is unknown."""
    overrides = CalendarDay.objects.filter(date__year=year).count()
    if package_knows(year):
        source = _("chinesecalendar 软件包")
        known = True
    elif CalendarYear.objects.filter(year=year).exists():
        source = _("管理员录入")
        known = True
    else:
        source = _("未知：请录入该年的放假和调休安排")
        known = False
    return {"year": year, "known": known, "source": source, "overrides": overrides}
