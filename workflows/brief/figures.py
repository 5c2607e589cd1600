"""The brief's figures: every number comes from a public function of `workflows.dashboard.queries`
(or the ledger's and calendar's services), so the brief and the dashboard cannot disagree.

`brief_figures(scope)` returns plain data that `builder.build_docx` writes; tests compare it, and
the numbers read back from the document, with the dashboard's.
"""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from workflows import roles
from workflows.calendar import UnknownCalendarYear, is_workday
from workflows.dashboard import queries
from workflows.dashboard.queries import DashboardScope

WEEKDAYS = ("一", "二", "三", "四", "五", "六", "日")
# No list in the document is longer than this (the dashboard has the full lists).
LIST_LIMIT = 20


class BureauScope(DashboardScope):
    """The whole bureau as leadership sees it, for the scheduled brief that no one user asks for.

    Closure requests are counted as leadership decides them (every category); the unsaved user's
    pk 0 matches no submitter, so none is left out as "one's own request"."""

    @classmethod
    def for_day(cls, day):
        user = get_user_model()(pk=0, is_superuser=True, is_active=True)
        return cls(user=user, role_keys=frozenset(role.key for role in roles.ROLES), today=day)

    @property
    def closure_roles(self):
        return {roles.LEADERSHIP}


def scope_for(user, day):
    """The brief's scope for a user on a day: a responsible unit's is limited to its institutions
    (the dashboard's own scope rule); None if the user may not see inspection figures."""
    scope = DashboardScope.for_user(user, today=day)
    return scope if scope.shows_inspections else None


def days_of_cover(scope):
    """The lowest days of cover of each reporting institution in scope, lowest first (the dashboard's
    supplies section's `workflows.dashboard.supplies.institution_cover`): [{"institution", "item",
    "days"}], at most LIST_LIMIT rows. None when no institution in scope has a stock report in the
    lookback window."""
    from workflows.dashboard.supplies import institution_cover

    rows = [
        {"institution": row["name"], "item": row["lowest_goods"], "days": row["lowest_cover"]}
        for row in institution_cover(scope.user, today=scope.today)
        if row["lowest_cover"] is not None
    ]
    rows.sort(key=lambda row: (row["days"], row["institution"]))
    return rows[:LIST_LIMIT] or None


def calendar_note(day):
    """What the brief says about the day: empty on a working day, a sentence otherwise. An unknown
    calendar year is named here (not raised): the brief is still built."""
    try:
        working = is_workday(day)
    except UnknownCalendarYear as exc:
        return str(exc)
    return "" if working else _("本日为非工作日。")


def date_line(day):
    return _("%(year)d年%(month)d月%(day)d日（星期%(weekday)s）") % {
        "year": day.year,
        "month": day.month,
        "day": day.day,
        "weekday": WEEKDAYS[day.weekday()],
    }


def _today_of(trend_rows, day):
    for row in trend_rows:
        if row["day"] == day:
            return row
    return {"opened": 0, "closed": 0}


def disclosure_status(day):
    """The previous day's disclosure (drafted the morning after): published or not, and how many
    ledger records are past the disclosure limit (`home.ledger.services.undisclosed_entries`)."""
    from home.ledger.models import DisclosureRecord
    from home.ledger.services import undisclosed_entries

    covered = day - dt.timedelta(days=1)
    return {
        "day": covered,
        "published": DisclosureRecord.objects.filter(disclosure_date=covered).exists(),
        "late_records": undisclosed_entries(today=day).count(),
    }


def brief_figures(scope):
    """Every figure of the brief for `scope` (a `DashboardScope` or `BureauScope`) on scope.today."""
    day = scope.today
    # The dashboard's shared per-(institution, category, stage) groups, read once for every figure.
    groups = queries.issue_groups(scope)
    headline = queries.headline(scope, groups)
    trend = queries.trend(scope, days=1)
    donations = queries.donation_figures(scope) if scope.shows_donations else None
    stock = donations["stock"] if donations else []
    shortage_rows = queries.shortages(scope, stock, limit=None)
    closures = queries.closure_requests(scope, limit=LIST_LIMIT)
    today = _today_of(trend, day)
    figures = {
        "day": day,
        "date_line": date_line(day),
        "calendar_note": calendar_note(day),
        "bureau_wide": scope.sees_everything,
        "institutions": None,
        "opened": today["opened"],
        "closed": today["closed"],
        "headline": headline,
        "by_escalation": queries.overdue_by_escalation(scope, groups),
        "shortages": shortage_rows,
        "days_of_cover": days_of_cover(scope),
        "donations": donations,
        "disclosure": disclosure_status(day) if donations is not None else None,
        "urban_rural": queries.urban_rural(scope, groups),
        "recurrence": queries.recurrences(scope, limit=LIST_LIMIT),
        "closures": closures,
    }
    if scope.limited_to_units:
        from snippets.permissions import institutions_for

        figures["institutions"] = list(
            institutions_for(scope.user).order_by("township", "name").values_list("name", flat=True)
        )
    figures["no_data"] = (
        figures["opened"] == 0
        and figures["closed"] == 0
        and (donations is None or donations["donations_today"] == 0)
    )
    return figures
