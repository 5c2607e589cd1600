"""Each dashboard figure against a hand-computed fixture; the query count does not grow with data.

The fixture (today = 2026-11-28), computed by hand in the comments:

    township 城关镇: urban U1, rural R1; township 河口镇: urban U2, rural R2
    round 1 starts 11-01, round 2 starts 11-15
    done visits: U1 r1, R1 r1, R1 r2, U2 r1; planned: R2 r1
    answers: U1 3 pass 1 fail; R1 r1 2 pass 2 fail; R1 r2 1 pass 2 fail 1 n/a

    issue  inst cat  visit   stage        deadline  found
    I1     U1   A    U1 r1   closed       11-10     11-01
    I2     U1   B    -       in_progress  11-30     11-05
    I3     R1   A    R1 r1   assigned     11-20     11-02
    I4     R1   A    R1 r2   reported     11-27     11-16
    I5     R1   B    R1 r2   submitted    12-05     11-16
    I6     U2   B    U2 r1   in_progress  10-20     10-13
    I7     R2   A    R2 r1*  reported     12-01     11-03     (* visit not done)
"""

import datetime as dt
from decimal import Decimal

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext

from snippets.choices import Answer, Area, VisitState
from snippets.models import ChecklistAnswer, ChecklistItem, ChecklistTemplate, Issue
from tests.snippets.factories import (
    InspectionRoundFactory,
    InstitutionFactory,
    IssueCategoryFactory,
    IssueFactory,
    VisitFactory,
)
from workflows import roles
from workflows.dashboard import queries
from workflows.dashboard.queries import DashboardScope

TODAY = dt.date(2026, 11, 28)


def d(month, day):
    return dt.date(2026, month, day)


def _answers(visit, items, results):
    for item, result in zip(items, results, strict=False):
        ChecklistAnswer.objects.create(visit=visit, item=item, answer=result)


def _issue(institution, category, visit, stage, deadline, found):
    issue = IssueFactory(
        institution=institution, category=category, visit=visit, deadline=deadline, found_on=found
    )
    # Test set-up only: production moves go through workflows.services.
    Issue.objects.filter(pk=issue.pk).update(stage=stage)
    issue.stage = stage
    return issue


@pytest.fixture
def fixture_day(monkeypatch):
    """Pages read today's date; the fixture's hand-computed figures hold on its own day (TODAY).

    Used by every view and panel test (`usefixtures`); the query tests pass `today` instead.
    """
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def dashboard_data(db):
    # The seeded reference categories (migration snippets 0003).
    cat_a = IssueCategoryFactory(code="supply-shortage")
    cat_b = IssueCategoryFactory(code="disinfection")
    u1 = InstitutionFactory(name="城关敬老院", township="城关镇", area=Area.URBAN)
    r1 = InstitutionFactory(name="城关村敬老院", township="城关镇", area=Area.RURAL)
    u2 = InstitutionFactory(name="河口养老中心", township="河口镇", area=Area.URBAN)
    r2 = InstitutionFactory(name="河口村敬老院", township="河口镇", area=Area.RURAL)
    round1 = InspectionRoundFactory(starts_on=d(11, 1), ends_on=d(11, 10))
    round2 = InspectionRoundFactory(starts_on=d(11, 15), ends_on=d(11, 25))
    template = ChecklistTemplate.objects.create(name="看板测试模板")
    items = [
        ChecklistItem.objects.create(template=template, text=f"检查项{n}", category=cat_a, sort_order=n)
        for n in range(4)
    ]

    def visit(rnd, inst, done=True):
        v = VisitFactory(inspection_round=rnd, institution=inst, template=template, planned_on=rnd.starts_on)
        if done:
            type(v).objects.filter(pk=v.pk).update(state=VisitState.DONE)
            v.state = VisitState.DONE
        return v

    v_u1 = visit(round1, u1)
    v_r1a = visit(round1, r1)
    v_r1b = visit(round2, r1)
    v_u2 = visit(round1, u2)
    v_r2 = visit(round1, r2, done=False)
    P, F, NA = Answer.PASS, Answer.FAIL, Answer.NOT_APPLICABLE
    _answers(v_u1, items, [P, P, P, F])
    _answers(v_r1a, items, [P, P, F, F])
    _answers(v_r1b, items, [P, F, F, NA])
    issues = {
        "I1": _issue(u1, cat_a, v_u1, "closed", d(11, 10), d(11, 1)),
        "I2": _issue(u1, cat_b, None, "in_progress", d(11, 30), d(11, 5)),
        "I3": _issue(r1, cat_a, v_r1a, "assigned", d(11, 20), d(11, 2)),
        "I4": _issue(r1, cat_a, v_r1b, "reported", d(11, 27), d(11, 16)),
        "I5": _issue(r1, cat_b, v_r1b, "submitted", d(12, 5), d(11, 16)),
        "I6": _issue(u2, cat_b, v_u2, "in_progress", d(10, 20), d(10, 13)),
        "I7": _issue(r2, cat_a, v_r2, "reported", d(12, 1), d(11, 3)),
    }
    return {
        "issues": issues,
        "institutions": {"U1": u1, "R1": r1, "U2": u2, "R2": r2},
        "categories": {"A": cat_a, "B": cat_b},
        "rounds": (round1, round2),
        "template": template,
        "items": items,
    }


@pytest.fixture
def leader_scope(dashboard_data, users):
    return DashboardScope.for_user(users[roles.LEADERSHIP], today=TODAY)


def test_headline_counts_open_overdue_submitted_and_closed_items(leader_scope):
    assert queries.headline(leader_scope) == {
        "total": 7,
        "open": 6,
        "overdue": 3,
        "submitted": 1,
        "closed": 1,
    }


def test_open_items_by_stage_list_every_open_stage_in_order(leader_scope):
    rows = [(r["stage"], r["count"]) for r in queries.open_by_stage(leader_scope)]
    assert rows == [("reported", 2), ("assigned", 1), ("in_progress", 2), ("submitted", 1)]


def test_open_items_by_category_count_open_and_overdue(leader_scope):
    rows = [(r["label"], r["open"], r["overdue"]) for r in queries.open_by_category(leader_scope)]
    assert rows == [("防控物资不足", 3, 2), ("未落实每日二次消杀", 3, 1)]


def test_open_items_by_institution_most_first(leader_scope):
    rows = [
        (r["label"], r["area"], r["open"], r["overdue"]) for r in queries.open_by_institution(leader_scope)
    ]
    assert rows == [
        ("城关村敬老院", "农村", 3, 2),
        ("河口养老中心", "城区", 1, 1),
        ("城关敬老院", "城区", 1, 0),
        ("河口村敬老院", "农村", 1, 0),
    ]


def test_overdue_items_fall_into_age_buckets(leader_scope):
    rows = [(r["label"], r["count"]) for r in queries.overdue_by_age(leader_scope)]
    assert rows == [("1-7", 1), ("8-14", 1), ("15-30", 0), (">30", 1)]


def test_oldest_open_items_come_first_with_days_open(dashboard_data, leader_scope):
    rows = queries.oldest_open(leader_scope, limit=3)
    issues = dashboard_data["issues"]
    assert [r["pk"] for r in rows] == [issues["I6"].pk, issues["I3"].pk, issues["I7"].pk]
    assert rows[0]["days_open"] == 46
    assert rows[0]["overdue"] is True
    assert rows[2]["overdue"] is False
    # I4 (found again at 城关村敬老院 in round 2) is flagged 反弹; oldest first: I6 I3 I7 I2 I4 I5.
    flags = [r["recurrence"] for r in queries.oldest_open(leader_scope)]
    assert flags == [False, False, False, False, True, False]


def test_urban_rural_comparison_per_township_with_gap_highlighted(leader_scope):
    result = queries.urban_rural(leader_scope)
    by_name = {row["township"]: row for row in result["townships"]}
    assert list(by_name) == ["城关镇", "河口镇"]

    t1 = by_name["城关镇"]
    assert t1["urban"]["issues_per_visit"] == Decimal("1.0000")
    assert t1["rural"]["issues_per_visit"] == Decimal("1.5000")
    assert t1["urban"]["overdue_rate"] == Decimal("0.0000")
    assert t1["rural"]["overdue_rate"] == Decimal("0.6667")
    assert t1["urban"]["pass_rate"] == Decimal("0.7500")
    assert t1["rural"]["pass_rate"] == Decimal("0.4286")
    assert t1["gap"] == {
        "issues_per_visit": Decimal("0.5000"),
        "overdue_rate": Decimal("0.6667"),
        "pass_rate": Decimal("-0.3214"),
    }
    assert t1["flagged"] == ["issues_per_visit", "overdue_rate", "pass_rate"]

    t2 = by_name["河口镇"]
    assert t2["urban"] == {
        "visits": 1,
        "issues": 1,
        "issues_per_visit": Decimal("1.0000"),
        "overdue_rate": Decimal("1.0000"),
        "pass_rate": None,
    }
    # The rural home has no completed visit: no rate is invented for it.
    assert t2["rural"]["issues_per_visit"] is None
    assert t2["rural"]["overdue_rate"] == Decimal("0.0000")
    assert t2["gap"] == {"issues_per_visit": None, "overdue_rate": Decimal("-1.0000"), "pass_rate": None}
    # Rural better than urban is not highlighted.
    assert t2["flagged"] == []

    total = result["total"]
    assert total["urban"]["issues_per_visit"] == Decimal("1.0000")
    assert total["rural"]["issues_per_visit"] == Decimal("1.5000")
    assert total["urban"]["overdue_rate"] == Decimal("0.3333")
    assert total["rural"]["overdue_rate"] == Decimal("0.5000")
    assert total["gap"]["overdue_rate"] == Decimal("0.1667")
    assert total["gap"]["pass_rate"] == Decimal("-0.3214")
    assert total["flagged"] == ["issues_per_visit", "overdue_rate", "pass_rate"]


def test_recurrence_flags_the_same_category_found_again_in_a_later_round(dashboard_data, leader_scope):
    issues = dashboard_data["issues"]
    result = queries.recurrences(leader_scope)
    assert result["count"] == 1
    assert [(r["institution"], r["category"], r["rounds"], r["open"]) for r in result["items"]] == [
        ("城关村敬老院", "防控物资不足", 2, 2)
    ]
    assert queries.is_recurrence(issues["I4"]) is True
    # The first finding and a category new to the institution are not recurrences.
    assert queries.is_recurrence(issues["I3"]) is False
    assert queries.is_recurrence(issues["I5"]) is False
    flagged = set(Issue.objects.filter(queries.recurrence_filter()).values_list("pk", flat=True))
    assert flagged == {issues["I4"].pk}


def test_responsible_unit_sees_only_its_own_institutions_numbers(dashboard_data, make_user):
    unit = make_user(roles.RESPONSIBLE_UNIT, username="unit-u1")
    dashboard_data["institutions"]["U1"].responsible_users.add(unit)
    scope = DashboardScope.for_user(unit, today=TODAY)
    assert queries.headline(scope) == {"total": 2, "open": 1, "overdue": 0, "submitted": 0, "closed": 1}
    assert [r["label"] for r in queries.open_by_category(scope)] == ["未落实每日二次消杀"]
    ur = queries.urban_rural(scope)
    assert [row["township"] for row in ur["townships"]] == ["城关镇"]
    assert ur["total"]["rural"]["visits"] == 0
    assert ur["total"]["urban"]["pass_rate"] == Decimal("0.7500")
    assert queries.recurrences(scope)["count"] == 0
    assert [r["institution"] for r in queries.oldest_open(scope)] == ["城关敬老院"]


def test_communications_see_no_inspection_figures(dashboard_data, users):
    scope = DashboardScope.for_user(users[roles.COMMUNICATIONS], today=TODAY)
    assert scope.shows_donations is True
    assert scope.shows_inspections is False
    assert queries.headline(scope)["total"] == 0


def _count_queries(scope):
    with CaptureQueriesContext(connection) as ctx:
        queries.inspection_figures(scope)
    return len(ctx.captured_queries)


def test_query_count_stays_constant_as_data_grows(dashboard_data, leader_scope):
    from workflows.models import Escalation

    _count_queries(leader_scope)  # the user's groups are looked up once and kept on the user
    before = _count_queries(leader_scope)
    cat = dashboard_data["categories"]["B"]
    rnd = InspectionRoundFactory(starts_on=d(11, 20), ends_on=d(11, 26))
    for n in range(12):
        inst = InstitutionFactory(township=f"新镇{n % 4}", area=Area.RURAL if n % 2 else Area.URBAN)
        visit = VisitFactory(inspection_round=rnd, institution=inst, template=dashboard_data["template"])
        type(visit).objects.filter(pk=visit.pk).update(state=VisitState.DONE)
        _answers(visit, dashboard_data["items"], [Answer.PASS, Answer.FAIL])
        for _ in range(3):
            _issue(inst, cat, visit, "assigned", d(11, 22), d(11, 21))
        closed = _issue(inst, cat, visit, "closed", d(11, 22), d(11, 21))
        _log(closed, "close", "submitted", "closed", 4)
        Escalation.objects.create(issue=closed, level=1, run_id="t", deadline=d(11, 22))
    after = _count_queries(leader_scope)
    assert before == after
    assert before <= 20


def _log(issue, move, source, target, version, actor=None):
    from workflows.models import StageTransition

    return StageTransition.objects.create(
        issue=issue, move=move, from_stage=source, to_stage=target, version=version, actor=actor
    )


def test_overdue_items_by_highest_escalation_level(dashboard_data, leader_scope):
    from workflows.models import Escalation

    issues = dashboard_data["issues"]
    # As the sweep leaves them: every level up to the one reached.
    escalated = (
        (issues["I6"], 1),
        (issues["I6"], 2),
        (issues["I3"], 1),
        (issues["I1"], 1),
        (issues["I1"], 2),
    )
    for issue, level in escalated + ((issues["I1"], 3),):
        Escalation.objects.create(issue=issue, level=level, run_id="t", deadline=issue.deadline)
    rows = [(r["level"], r["count"]) for r in queries.overdue_by_escalation(leader_scope)]
    # I4 not escalated yet, I3 at 提醒, I6 at 督办; the closed I1 is not overdue any more.
    assert rows == [(0, 1), (1, 1), (2, 1), (3, 0)]


def test_median_days_to_close_per_category_and_township_from_the_log(db, users):
    from django.utils import timezone

    cat_a = IssueCategoryFactory(code="supply-shortage")
    cat_b = IssueCategoryFactory(code="disinfection")
    town1 = InstitutionFactory(township="城关镇")
    town2 = InstitutionFactory(township="河口镇")
    # (category, institution, days from the day found to the day closed)
    for category, institution, days in (
        (cat_a, town1, 2),
        (cat_a, town2, 4),
        (cat_a, town2, 9),
        (cat_b, town1, 1),
        (cat_b, town2, 4),
    ):
        issue = IssueFactory(category=category, institution=institution)
        found = timezone.localdate() - dt.timedelta(days=days)
        Issue.objects.filter(pk=issue.pk).update(stage="closed", found_on=found)
        _log(issue, "close", "submitted", "closed", 4)
    # An open item has no closure and no effect on the medians.
    IssueFactory(category=cat_a, institution=town1)
    result = queries.time_to_close(DashboardScope.for_user(users[roles.LEADERSHIP]))
    assert [(r["label"], r["median_days"], r["closed"]) for r in result["by_category"]] == [
        ("未落实每日二次消杀", Decimal("2.5"), 2),
        ("防控物资不足", Decimal("4.0"), 3),
    ]
    assert [(r["label"], r["median_days"], r["closed"]) for r in result["by_township"]] == [
        ("城关镇", Decimal("1.5"), 2),
        ("河口镇", Decimal("4.0"), 3),
    ]


def test_trend_counts_items_opened_and_closed_per_day(db, users):
    from django.utils import timezone

    today = timezone.localdate()
    closed = IssueFactory(found_on=today - dt.timedelta(days=2))
    IssueFactory(found_on=today - dt.timedelta(days=2))
    IssueFactory(found_on=today)
    IssueFactory(found_on=today - dt.timedelta(days=40))  # outside the window
    Issue.objects.filter(pk=closed.pk).update(stage="closed")
    _log(closed, "close", "submitted", "closed", 4)
    rows = queries.trend(DashboardScope.for_user(users[roles.LEADERSHIP]), days=3)
    assert [(r["day"], r["opened"], r["closed"]) for r in rows] == [
        (today - dt.timedelta(days=2), 2, 0),
        (today - dt.timedelta(days=1), 0, 0),
        (today, 1, 1),
    ]


def test_closure_requests_list_what_each_role_may_decide(dashboard_data, users, make_user):
    issues = dashboard_data["issues"]
    unit = make_user(roles.RESPONSIBLE_UNIT, username="unit-r1")
    dashboard_data["institutions"]["R1"].responsible_users.add(unit)
    _log(issues["I5"], "submit", "in_progress", "submitted", 3, actor=unit)
    # I3 needs leadership approval (supply shortage): put it in submitted too.
    Issue.objects.filter(pk=issues["I3"].pk).update(stage="submitted")
    _log(issues["I3"], "submit", "in_progress", "submitted", 3, actor=unit)

    def listed(user):
        return [
            r["pk"] for r in queries.closure_requests(DashboardScope.for_user(user, today=TODAY))["items"]
        ]

    assert listed(users[roles.LEADERSHIP]) == [issues["I5"].pk, issues["I3"].pk]
    assert listed(users[roles.INSPECTOR]) == [issues["I5"].pk]
    assert listed(unit) == []
    assert listed(users[roles.COMMUNICATIONS]) == []
    row = queries.closure_requests(DashboardScope.for_user(users[roles.LEADERSHIP]))["items"][0]
    assert row["submitter_name"] == ""
