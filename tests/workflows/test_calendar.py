"""Working days in the Chinese calendar, make-up working weekends included; unknown years refused."""

import datetime

import pytest

from workflows.calendar import UnknownCalendarYear, add_working_days, subtract_working_days, year_status
from workflows.models import CalendarYear

from .factories import CalendarDayFactory

pytestmark = pytest.mark.django_db


def test_the_spring_festival_holiday_is_skipped_and_its_make_up_saturday_counts():
    # 2026: Feb 14 (Sat) is a make-up working day, Feb 15-23 are holidays.
    assert add_working_days(datetime.date(2026, 2, 13), 1) == datetime.date(2026, 2, 14)
    assert add_working_days(datetime.date(2026, 2, 13), 3) == datetime.date(2026, 2, 25)
    assert subtract_working_days(datetime.date(2026, 2, 25), 2) == datetime.date(2026, 2, 14)


def test_an_administrators_extra_holiday_moves_the_deadline():
    assert add_working_days(datetime.date(2026, 11, 27), 1) == datetime.date(2026, 11, 30)
    CalendarDayFactory(date=datetime.date(2026, 11, 30), is_workday=False, note="临时停工")
    assert add_working_days(datetime.date(2026, 11, 27), 1) == datetime.date(2026, 12, 1)


def test_a_year_the_package_does_not_know_is_reported_not_guessed():
    with pytest.raises(UnknownCalendarYear) as caught:
        add_working_days(datetime.date(2026, 12, 30), 5)
    assert caught.value.year == 2027
    status = year_status(2027)
    assert status["known"] is False and "未知" in status["source"]


def test_a_year_the_administrator_entered_uses_its_overrides_and_weekdays():
    CalendarYear.objects.create(year=2027, note="国办发明电〔2026〕X号")
    CalendarDayFactory(date=datetime.date(2027, 1, 1), is_workday=False, note="元旦")
    # Thu 2026-12-31 + 1 working day: Fri 2027-01-01 is a holiday, so Mon 2027-01-04.
    assert add_working_days(datetime.date(2026, 12, 31), 1) == datetime.date(2027, 1, 4)
    assert year_status(2027)["known"] is True


def test_the_calendar_admin_page_names_the_unknown_year(client, users):
    client.force_login(users["administrator"])
    response = client.get("/admin/rectification/calendar/")
    assert response.status_code == 200
    assert 'data-year="2027" data-known="0"' in response.content.decode()
