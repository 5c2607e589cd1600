"""The dashboard's figures, each one a fixed number of SQL aggregates whatever the data's size.

Every function takes a `DashboardScope` (what the user may see) and returns plain Python data
(lists of dicts, numbers) that the views, charts, XLSX exports and the cache share. No function
loops over issue, visit or ledger rows in Python: rows are grouped in SQL and only the groups (stages,
categories, townships) come back. Wired in `workflows.dashboard.views` and `.panels`.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from snippets.choices import Answer, Area, VisitState
from snippets.models import ChecklistAnswer, Institution, Issue, Visit
from snippets.permissions import issues_for, visits_for
from workflows import roles
from workflows.choices import Stage
from workflows.stages import OPEN_STAGES

OLDEST_LIMIT = 10
RECURRENCE_LIMIT = 10
# A rural figure this much worse than the urban one (in percentage points, or issues per visit)
# is highlighted: small gaps are noise on a handful of visits.
GAP_THRESHOLD = Decimal("0.10")

INSPECTION_ROLES = (roles.INSPECTOR, roles.LEADERSHIP, roles.ADMINISTRATOR, roles.RESPONSIBLE_UNIT)
# Communications prepare the daily disclosure, so the donation figures are theirs to see; the same
# figures are published every day anyway. Inspection figures are not theirs.
DONATION_ROLES = (roles.COMMUNICATIONS, roles.LEADERSHIP, roles.ADMINISTRATOR)
CLOSURE_ROLES = (roles.LEADERSHIP, roles.INSPECTOR)


def _role_keys(user):
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_superuser:
        return frozenset(role.key for role in roles.ROLES)
    # Read once per request with the listings' scopes and the menus (the memo in workflows.roles).
    return roles.member_role_keys(user)


@dataclass
class DashboardScope:
    """What one user may see on the dashboard; `key` names the cache entry it shares with others."""

    user: object
    role_keys: frozenset
    today: dt.date = field(default_factory=timezone.localdate)
    # Narrowed to one of the user's institutions (?institution=); None: all the user may see.
    institution: object = None

    @classmethod
    def for_user(cls, user, today=None):
        return cls(user=user, role_keys=_role_keys(user), today=today or timezone.localdate())

    @property
    def sees_everything(self):
        return bool(self.role_keys & {roles.INSPECTOR, roles.LEADERSHIP, roles.ADMINISTRATOR})

    @property
    def limited_to_units(self):
        return not self.sees_everything and roles.RESPONSIBLE_UNIT in self.role_keys

    @property
    def shows_inspections(self):
        return bool(self.role_keys & set(INSPECTION_ROLES))

    @property
    def shows_donations(self):
        return bool(self.role_keys & set(DONATION_ROLES))

    @property
    def closure_roles(self):
        """Roles that may decide closures, from explicit group membership only: the transition
        service gives a superuser no rectification rights (separation of duties)."""
        from workflows.services import actor_roles

        return actor_roles(self.user) & set(CLOSURE_ROLES)

    @property
    def shows_closures(self):
        return bool(self.closure_roles)

    @property
    def allowed(self):
        return self.shows_inspections or self.shows_donations

    @property
    def unrestricted(self):
        """Sees every issue: the scope filter can be left out of joins (it would only cost time)."""
        return self.sees_everything and self.institution is None

    @property
    def key(self):
        if self.sees_everything:
            base = "all"
        elif self.limited_to_units:
            base = f"unit-{self.user.pk}"
        else:
            base = "none"
        return f"{base}-i{self.institution.pk}" if self.institution is not None else base

    def issues(self):
        if not self.shows_inspections:
            return Issue.objects.none()
        issues = issues_for(self.user)
        if self.institution is not None:
            issues = issues.filter(institution=self.institution)
        return issues

    def visits(self):
        if not self.shows_inspections:
            return Visit.objects.none()
        visits = visits_for(self.user)
        if self.institution is not None:
            visits = visits.filter(institution=self.institution)
        return visits


def _open(issues):
    return issues.exclude(stage=Stage.CLOSED)


def _age_buckets(today):
    return [
        ("1-7", today - dt.timedelta(days=7), today),
        ("8-14", today - dt.timedelta(days=14), today - dt.timedelta(days=7)),
        ("15-30", today - dt.timedelta(days=30), today - dt.timedelta(days=14)),
        (">30", None, today - dt.timedelta(days=30)),
    ]


def issue_groups(scope):
    """Issue counts per (institution, category, stage), with overdue counts: ONE query.

    The headline, stage, category, institution, escalation and urban/rural issue figures are all
    sums over these groups, whose number is bounded by the reference data (institutions x
    categories x stages), not by the number of issues. `inspection_figures` runs it once and
    shares it. Read from the (institution, category, stage, deadline) index alone, in its order.
    """
    return list(
        scope.issues()
        .order_by()
        .values("institution_id", "category_id", "stage")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=scope.today)))
    )


def _open_groups(groups):
    return [g for g in groups if g["stage"] != Stage.CLOSED]


def headline(scope, groups=None):
    """Total, open, overdue, submitted (awaiting acceptance) and closed counts."""
    groups = issue_groups(scope) if groups is None else groups
    open_groups = _open_groups(groups)
    return {
        "total": sum(g["n"] for g in groups),
        "open": sum(g["n"] for g in open_groups),
        "overdue": sum(g["overdue"] for g in open_groups),
        "submitted": sum(g["n"] for g in groups if g["stage"] == Stage.SUBMITTED),
        "closed": sum(g["n"] for g in groups if g["stage"] == Stage.CLOSED),
    }


def open_by_stage(scope, groups=None):
    """Open items per stage, every open stage listed (zero included), in stage order."""
    groups = issue_groups(scope) if groups is None else groups
    counts = {}
    for g in groups:
        counts[g["stage"]] = counts.get(g["stage"], 0) + g["n"]
    return [
        {"stage": value, "label": str(label), "count": counts.get(value, 0)}
        for value, label in Stage.choices
        if value != Stage.CLOSED
    ]


def _sum_open_by(groups, field):
    totals = {}
    for g in _open_groups(groups):
        entry = totals.setdefault(g[field], {"open": 0, "overdue": 0})
        entry["open"] += g["n"]
        entry["overdue"] += g["overdue"]
    return totals


def open_by_category(scope, groups=None):
    """Open and overdue items per category, largest first (plus one query for the names)."""
    from snippets.models import IssueCategory

    groups = issue_groups(scope) if groups is None else groups
    totals = _sum_open_by(groups, "category_id")
    categories = {
        c["pk"]: c
        for c in IssueCategory.objects.filter(pk__in=list(totals)).values("pk", "name", "sort_order")
    }
    rows = [
        {"category_id": pk, "label": categories[pk]["name"], "open": t["open"], "overdue": t["overdue"]}
        for pk, t in totals.items()
    ]
    rows.sort(key=lambda r: (-r["open"], categories[r["category_id"]]["sort_order"], r["label"]))
    return rows


INSTITUTION_LIMIT = 15


def open_by_institution(scope, limit=INSTITUTION_LIMIT, groups=None):
    """The institutions with the most open items (then most overdue), plus one query for the names
    of the rows shown."""
    groups = issue_groups(scope) if groups is None else groups
    totals = _sum_open_by(groups, "institution_id")
    top = sorted(totals.items(), key=lambda kv: (-kv[1]["open"], -kv[1]["overdue"], kv[0]))[:limit]
    names = {
        i["pk"]: i
        for i in Institution.objects.filter(pk__in=[pk for pk, _t in top]).values(
            "pk", "name", "township", "area"
        )
    }
    areas = dict(Area.choices)
    return [
        {
            "institution_id": pk,
            "label": names[pk]["name"],
            "township": names[pk]["township"],
            "area": str(areas.get(names[pk]["area"], "")),
            "open": t["open"],
            "overdue": t["overdue"],
        }
        for pk, t in top
    ]


def _open_stages(groups):
    """The open stages present in these groups: `stage IN (...)` matches exactly the groups'
    non-closed items and, unlike `stage <> 'closed'`, can be read from the (stage, deadline) index."""
    return sorted({g["stage"] for g in _open_groups(groups)})


def overdue_by_age(scope, groups=None):
    """Overdue open items by how long past the deadline (1-7, 8-14, 15-30, over 30 days): one
    query over the overdue open items only (a range of the (stage, deadline) index per stage)."""
    groups = issue_groups(scope) if groups is None else groups
    buckets = _age_buckets(scope.today)
    aggregates = {}
    for index, (_label, low, high) in enumerate(buckets):
        condition = Q(deadline__lt=high)
        if low is not None:
            condition &= Q(deadline__gte=low)
        aggregates[f"b{index}"] = Count("pk", filter=condition)
    open_stages = _open_stages(groups)
    counts = {}
    if open_stages:
        counts = (
            scope.issues()
            .filter(stage__in=open_stages, deadline__lt=scope.today)
            .order_by()
            .aggregate(**aggregates)
        )
    return [
        {"label": label, "count": counts.get(f"b{index}", 0)}
        for index, (label, _low, _high) in enumerate(buckets)
    ]


def oldest_open(scope, limit=OLDEST_LIMIT):
    """The longest-open items, oldest first: one query (a LIMIT on an indexed sort)."""
    rows = (
        _open(scope.issues())
        .order_by("found_on", "pk")
        .values(
            "pk",
            "number",
            "title",
            "stage",
            "found_on",
            "deadline",
            "institution__name",
            "category__name",
        )[:limit]
    )
    stage_labels = dict(Stage.choices)
    rows = list(rows)
    recurrent = recurrent_ids(r["pk"] for r in rows)
    return [
        {
            "recurrence": r["pk"] in recurrent,
            "pk": r["pk"],
            "number": r["number"],
            "title": r["title"],
            "stage": r["stage"],
            "stage_label": str(stage_labels[r["stage"]]),
            "institution": r["institution__name"],
            "category": r["category__name"],
            "found_on": r["found_on"],
            "deadline": r["deadline"],
            "days_open": (scope.today - r["found_on"]).days,
            "overdue": r["deadline"] < scope.today,
        }
        for r in rows
    ]


def _ratio(numerator, denominator):
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(Decimal("0.0001"))


def urban_rural(scope, groups=None):
    """Issues per visit, overdue rate and checklist pass rate of rural against urban institutions,
    per township and in total, with the rural-minus-urban gap: four small grouped queries (the
    issue counts are sums of `issue_groups` per institution, mapped to its township and area).

    - issues per visit: issues found in completed visits / completed visits;
    - overdue rate: open items past their deadline / all items;
    - pass rate: checklist answers `pass` / (`pass` + `fail`) of completed visits.
    A gap is highlighted when rural is worse than urban by GAP_THRESHOLD or more.
    """
    issue_counts = issue_groups(scope) if groups is None else groups
    groups = {}

    def group(township, area):
        return groups.setdefault(
            (township, area),
            {"visits": 0, "visit_issues": 0, "issues": 0, "overdue": 0, "passed": 0, "answered": 0},
        )

    done_visits = scope.visits().filter(state=VisitState.DONE)
    for r in (
        done_visits.order_by()
        .values("institution__township", "institution__area")
        .annotate(n=Count("pk", distinct=True))
    ):
        group(r["institution__township"], r["institution__area"])["visits"] = r["n"]

    # Issues and overdue open items per institution, from the shared groups; issues found in
    # completed visits per (visit, institution), from the (visit, institution, ...) index alone.
    per_institution = {}
    for g in issue_counts:
        counts = per_institution.setdefault(g["institution_id"], [0, 0, 0])
        counts[0] += g["n"]
        if g["stage"] != Stage.CLOSED:
            counts[1] += g["overdue"]
    found_in_done_visits = (
        scope.issues()
        .filter(visit__in=Visit.objects.filter(state=VisitState.DONE).values("pk"))
        .order_by()
        .values_list("visit_id", "institution_id")
        .annotate(n=Count("pk"))
    )
    for _visit_id, institution_id, n in found_in_done_visits:
        per_institution.setdefault(institution_id, [0, 0, 0])[2] += n
    places = {
        pk: (township, area)
        for pk, township, area in Institution.objects.filter(pk__in=list(per_institution)).values_list(
            "pk", "township", "area"
        )
    }
    for institution_id, (n, overdue, found_in_visits) in per_institution.items():
        g = group(*places[institution_id])
        g["issues"] += n
        g["overdue"] += overdue
        g["visit_issues"] += found_in_visits

    answers = ChecklistAnswer.objects.filter(visit__in=done_visits, answer__in=(Answer.PASS, Answer.FAIL))
    for r in (
        answers.order_by()
        .values("visit__institution__township", "visit__institution__area")
        .annotate(n=Count("pk"), passed=Count("pk", filter=Q(answer=Answer.PASS)))
    ):
        g = group(r["visit__institution__township"], r["visit__institution__area"])
        g["answered"], g["passed"] = r["n"], r["passed"]

    def figures(g):
        return {
            "visits": g["visits"],
            "issues": g["issues"],
            "issues_per_visit": _ratio(g["visit_issues"], g["visits"]),
            "overdue_rate": _ratio(g["overdue"], g["issues"]),
            "pass_rate": _ratio(g["passed"], g["answered"]),
        }

    def compare(name, urban, rural):
        u, r = figures(urban), figures(rural)
        row = {"township": name, "urban": u, "rural": r, "gap": {}, "flagged": []}
        # Higher is worse for the first two, lower is worse for the pass rate.
        for key, worse_if_higher in (
            ("issues_per_visit", True),
            ("overdue_rate", True),
            ("pass_rate", False),
        ):
            if u[key] is None or r[key] is None:
                row["gap"][key] = None
                continue
            gap = r[key] - u[key]
            row["gap"][key] = gap
            if (gap if worse_if_higher else -gap) >= GAP_THRESHOLD:
                row["flagged"].append(key)
        return row

    empty = {"visits": 0, "visit_issues": 0, "issues": 0, "overdue": 0, "passed": 0, "answered": 0}
    townships = sorted({township for township, _area in groups})
    rows = [
        compare(t, groups.get((t, Area.URBAN), empty), groups.get((t, Area.RURAL), empty)) for t in townships
    ]
    totals = {}
    for area in (Area.URBAN, Area.RURAL):
        totals[area] = dict(empty)
        for (_t, a), g in groups.items():
            if a == area:
                for key in empty:
                    totals[area][key] += g[key]
    total = compare(None, totals[Area.URBAN], totals[Area.RURAL])
    return {"townships": rows, "total": total, "threshold": GAP_THRESHOLD}


def recurrence_filter():
    """A Q matching 反弹 issues: the same category was found at the same institution in an earlier
    round. Use on any Issue queryset (`issues.filter(recurrence_filter())`); one EXISTS subquery."""
    earlier = Issue.objects.filter(
        institution=OuterRef("institution"),
        category=OuterRef("category"),
        visit__inspection_round__starts_on__lt=OuterRef("visit__inspection_round__starts_on"),
    )
    return Exists(earlier)


def recurrent_ids(ids):
    """Which of these (few) issue ids are 反弹: one query, the EXISTS runs only for them."""
    ids = list(ids)
    if not ids:
        return set()
    return set(Issue.objects.filter(pk__in=ids).filter(recurrence_filter()).values_list("pk", flat=True))


def is_recurrence(issue):
    """True if this issue is a 反弹 (for the issue page): one query."""
    return Issue.objects.filter(pk=issue.pk).filter(recurrence_filter()).exists()


def recurrences(scope, limit=RECURRENCE_LIMIT):
    """Institution × category pairs found in two or more rounds, most rounds (then most open items)
    first: one grouped query on ids, then the names of the `limit` shown pairs (two small queries).

    `count` is the number of such pairs; the grouping is over (institution, category) pairs, a set
    bounded by the reference data, not by the number of issues.
    """
    from snippets.models import IssueCategory

    # One visit per round and institution (a constraint), so distinct visits are rounds; counting
    # them avoids joining the visits table. Grouped first per (visit, institution, category), which
    # the (visit, institution, category, stage) index yields in order without a sort, then per
    # pair: COUNT(DISTINCT visit) over the pairs would need a temporary B-tree per pair.
    per_visit = (
        scope.issues()
        .filter(visit__isnull=False)
        .order_by()
        .values_list("visit_id", "institution_id", "category_id")
        .annotate(open=Count("pk", filter=~Q(stage=Stage.CLOSED)))
    )
    try:
        sql, params = per_visit.query.sql_with_params()
    except EmptyResultSet:  # a scope that matches nothing (no institution)
        sql = None
    pairs = []
    if sql is not None:
        with connections[per_visit.db].cursor() as cursor:
            cursor.execute(
                "WITH per_visit (visit_id, institution_id, category_id, open_count) AS ("  # noqa: S608
                + sql
                + ") SELECT institution_id, category_id, COUNT(*), SUM(open_count) FROM per_visit"
                " GROUP BY institution_id, category_id HAVING COUNT(*) >= 2",
                params,
            )
            pairs = [(i, c, int(rounds), int(open_count)) for i, c, rounds, open_count in cursor.fetchall()]
    pairs.sort(key=lambda p: (-p[2], -p[3], p[0], p[1]))
    shown = pairs[:limit]
    institutions = {
        i["pk"]: i
        for i in Institution.objects.filter(pk__in={p[0] for p in shown}).values("pk", "name", "area")
    }
    categories = dict(IssueCategory.objects.filter(pk__in={p[1] for p in shown}).values_list("pk", "name"))
    area_labels = dict(Area.choices)
    items = [
        {
            "institution_id": institution_id,
            "institution": institutions[institution_id]["name"],
            "area": str(area_labels.get(institutions[institution_id]["area"], "")),
            "category_id": category_id,
            "category": categories[category_id],
            "rounds": rounds,
            "open": open_count,
        }
        for institution_id, category_id, rounds, open_count in shown
    ]
    return {"count": len(pairs), "items": items}


def inspection_figures(scope):
    """Every inspection figure of the dashboard; the query count does not depend on the data."""
    groups = issue_groups(scope)
    return {
        "headline": headline(scope, groups),
        "by_stage": open_by_stage(scope, groups),
        "by_category": open_by_category(scope, groups),
        "by_institution": open_by_institution(scope, groups=groups),
        "overdue_by_age": overdue_by_age(scope, groups),
        "oldest": oldest_open(scope),
        "urban_rural": urban_rural(scope, groups),
        "recurrence": recurrences(scope),
        "by_escalation": overdue_by_escalation(scope, groups),
        "time_to_close": time_to_close(scope),
        "trend": trend(scope),
    }


def overdue_by_escalation(scope, groups=None):
    """Overdue open items by the highest escalation level reached (none, 提醒, 督办, 通报): one
    query (the number of overdue open items is a sum of `issue_groups`).

    The overdue sweep (`workflows.automation.escalate_overdue`) gives an item every level up to the
    one it reached (its cutoffs are nested), so the items whose top level is L are the rows at L
    minus the rows at L+1: a grouped count of escalation rows, no per-item subquery."""
    from workflows.choices import EscalationLevel
    from workflows.models import Escalation

    levels = [value for value, _label in EscalationLevel.choices]
    overdue = _open(scope.issues()).filter(deadline__lt=scope.today)
    escalations = Escalation.objects.filter(issue__stage__in=OPEN_STAGES, issue__deadline__lt=scope.today)
    if not scope.unrestricted:
        escalations = escalations.filter(issue__in=overdue)
    reached = dict(escalations.order_by().values_list("level").annotate(n=Count("pk")))
    groups = issue_groups(scope) if groups is None else groups
    total = sum(g["overdue"] for g in _open_groups(groups))
    rows = [{"level": 0, "label": _("未升级"), "count": max(total - reached.get(levels[0], 0), 0)}]
    for index, (value, label) in enumerate(EscalationLevel.choices):
        higher = reached.get(levels[index + 1], 0) if index + 1 < len(levels) else 0
        rows.append({"level": value, "label": str(label), "count": max(reached.get(value, 0) - higher, 0)})
    return rows


class LocalDate(Func):
    """The local calendar day of a timestamp, computed by the database itself (Django's TruncDate
    runs a Python function per row on SQLite, which is what made 100,000 rows slow)."""

    output_field = DateField()

    def as_sqlite(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        minutes = int(timezone.localtime().utcoffset().total_seconds() // 60)
        return f"date({sql}, '{minutes:+d} minutes')", params

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"CAST(({sql} AT TIME ZONE %s) AS date)", (*params, timezone.get_current_timezone_name())

    def as_sql(self, compiler, connection, **extra):
        return compiler.compile(TruncDate(self.source_expressions[0]))


class DaysBetween(Func):
    """Whole days from a date (`start`) to the local day of a timestamp (`end`), in the database."""

    output_field = IntegerField()

    def __init__(self, start, end, **extra):
        super().__init__(start, LocalDate(end), **extra)

    def _parts(self, compiler):
        start_sql, start_params = compiler.compile(self.source_expressions[0])
        end_sql, end_params = compiler.compile(self.source_expressions[1])
        return start_sql, end_sql, (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra):
        start_sql, end_sql, params = self._parts(compiler)
        return f"CAST(ROUND(julianday({end_sql}) - julianday({start_sql})) AS INTEGER)", params

    def as_sql(self, compiler, connection, **extra):
        # PostgreSQL: date - date is a whole number of days.
        start_sql, end_sql, params = self._parts(compiler)
        return f"({end_sql} - {start_sql})", params


def _closures(scope):
    from workflows.models import StageTransition

    closures = StageTransition.objects.filter(to_stage=Stage.CLOSED)
    if scope.unrestricted:
        return closures
    return closures.filter(issue__in=scope.issues())


def _median_from_histogram(histogram):
    """Median of values given as {value: count}: walks the distinct values, not the rows."""
    size = sum(histogram.values())
    if not size:
        return None
    low_rank, high_rank = (size + 1) // 2, (size + 2) // 2
    seen, low, high = 0, None, None
    for value in sorted(histogram):
        seen += histogram[value]
        if low is None and seen >= low_rank:
            low = value
        if seen >= high_rank:
            high = value
            break
    return (Decimal(low + high) / 2).quantize(Decimal("0.1"))


def _medians(histograms):
    return {
        group: {"median_days": _median_from_histogram(h), "closed": sum(h.values())}
        for group, h in histograms.items()
    }


def _closure_histograms(closures):
    """Closures counted per (category name, whole days) and per (township, whole days), where days
    run from the day an item was found to the day it was closed: ONE statement.

    The close moves are joined to their issues and their days computed once, grouped per
    (category, institution, days); both groupings are sums of those groups, joined to the (small)
    category and institution tables. Only distinct day counts per group come back."""
    from snippets.models import Institution, IssueCategory

    per_pair = (
        closures.annotate(days=DaysBetween(F("issue__found_on"), F("created_at")))
        .order_by()
        .values_list("issue__category_id", "issue__institution_id", "days")
        .annotate(n=Count("pk"))
    )
    try:
        sql, params = per_pair.query.sql_with_params()
    except EmptyResultSet:
        return {}, {}
    connection = connections[per_pair.db]
    quote = connection.ops.quote_name
    category_table = quote(IssueCategory._meta.db_table)
    institution_table = quote(Institution._meta.db_table)
    name, township, pk = quote("name"), quote("township"), quote("id")
    # Table and column names from the models' metadata, values as parameters of `per_pair`.
    statement = (
        f"WITH per_pair (category_id, institution_id, days, n) AS ({sql})"  # noqa: S608
        f" SELECT 0, c.{name}, p.days, SUM(p.n) FROM per_pair p"
        f" INNER JOIN {category_table} c ON c.{pk} = p.category_id GROUP BY c.{name}, p.days"
        f" UNION ALL SELECT 1, i.{township}, p.days, SUM(p.n) FROM per_pair p"
        f" INNER JOIN {institution_table} i ON i.{pk} = p.institution_id GROUP BY i.{township}, p.days"
    )
    histograms = ({}, {})
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for which, group, days, n in cursor.fetchall():
            histogram = histograms[which].setdefault(group, {})
            histogram[days] = histogram.get(days, 0) + int(n)
    return histograms


def time_to_close(scope):
    """Median days to close per category and per township, from the transition log: one query."""
    by_category, by_township = (_medians(h) for h in _closure_histograms(_closures(scope)))
    return {
        "by_category": [{"label": key, **value} for key, value in sorted(by_category.items())],
        "by_township": [{"label": key, **value} for key, value in sorted(by_township.items())],
    }


TREND_DAYS = 30


def trend(scope, days=TREND_DAYS):
    """Items opened (registered) and closed per day over the last `days` days: two queries.

    Closed comes from the transition log (the day of the close move, in local time)."""
    start = scope.today - dt.timedelta(days=days - 1)
    opened = dict(
        scope.issues()
        .filter(found_on__gte=start, found_on__lte=scope.today)
        .order_by()
        .values_list("found_on")
        .annotate(n=Count("pk"))
    )
    tz = timezone.get_current_timezone()
    start_at = timezone.make_aware(dt.datetime.combine(start, dt.time.min), tz)
    closed = dict(
        _closures(scope)
        .filter(created_at__gte=start_at)
        .annotate(day=LocalDate("created_at"))
        .order_by()
        .values_list("day")
        .annotate(n=Count("pk"))
    )
    return [
        {"day": day, "opened": opened.get(day, 0), "closed": closed.get(day, 0)}
        for day in (start + dt.timedelta(days=n) for n in range(days))
    ]


CLOSURE_LIMIT = 20


def closure_requests(scope, limit=CLOSURE_LIMIT):
    """Closure requests this user may decide, oldest request first: one query.

    Mirrors the close rows of `workflows.stages.MOVES` (leadership any category, inspectors only
    categories that need no leadership approval, never one's own request) so the list matches the
    buttons; the transition service checks again when a button is pressed."""
    from workflows.models import StageTransition

    keys = scope.closure_roles
    issues = scope.issues().filter(stage=Stage.SUBMITTED)
    if roles.LEADERSHIP in keys:
        pass
    elif roles.INSPECTOR in keys:
        issues = issues.filter(category__closure_needs_leadership=False)
    else:
        return {"count": 0, "items": []}
    last_submit = StageTransition.objects.filter(issue=OuterRef("pk"), move="submit").order_by("-version")
    issues = issues.annotate(
        submitted_at=Subquery(last_submit.values("created_at")[:1]),
        submitter_id=Subquery(last_submit.values("actor_id")[:1]),
        submitter_name=Subquery(last_submit.values("actor_name")[:1]),
        evidence=Subquery(last_submit.values("evidence")[:1]),
    ).exclude(submitter_id=scope.user.pk)
    rows = list(
        issues.order_by(F("submitted_at").asc(nulls_first=True), "pk").values(
            "pk",
            "number",
            "title",
            "stage_version",
            "institution__name",
            "category__name",
            "deadline",
            "submitted_at",
            "submitter_name",
            "evidence",
        )[: limit + 1]
    )
    items = rows[:limit]
    recurrent = recurrent_ids(r["pk"] for r in items)
    for item in items:
        item["recurrence"] = item["pk"] in recurrent
    return {"count": len(rows), "more": len(rows) > limit, "items": items}


SUPPLY_SHORTAGE_CODE = "supply-shortage"
SHORTAGE_LIMIT = 20
# Words in a shortage issue that point at a goods category (home.ledger GoodsCategory values).
GOODS_HINTS = {
    "masks": ("口罩", "KN95", "N95"),
    "suits": ("防护服", "隔离衣", "防护"),
    "disinfectant": ("消毒", "消杀", "酒精", "84"),
    "thermometers": ("体温", "测温", "额温枪"),
    "food": ("食品", "粮", "米", "油"),
}


def donation_figures(scope):
    """Donations today and in total, and goods in stock per item: ONE query over the ledger.

    Grouped per (kind, item, specification, unit), a set bounded by the goods catalogue, and read
    in the order of the `ledger_dashboard_cover` index alone; the cash sums, the donation counts
    and the stock per goods item are sums of these groups."""
    from home.ledger.models import EntryKind, GoodsCategory, LedgerEntry

    if not scope.shows_donations:
        return None
    today = scope.today
    has_quantity = Q(quantity__isnull=False)
    kept = Q(corrects__isnull=True)
    groups = (
        LedgerEntry.objects.order_by()
        .values_list("kind", "item", "specification", "unit")
        .annotate(
            amount_sum=Sum("amount"),
            amount_today=Sum("amount", filter=Q(entry_date=today)),
            entries=Count("pk", filter=kept),
            entries_today=Count("pk", filter=kept & Q(entry_date=today)),
            quantity_sum=Sum("quantity"),
            quantity_rows=Count("quantity"),
            goods_category=Max("category", filter=has_quantity),
            goods_standard=Max("standard", filter=has_quantity),
        )
    )
    sums = {
        "cash_today": None,
        "cash_total": None,
        "allocated_total": None,
        "donations_today": 0,
        "donations_total": 0,
        "goods_today": 0,
    }

    def add(key, value):
        if value is not None:
            sums[key] = value if sums[key] is None else sums[key] + value

    goods = {}
    for kind, item, specification, unit, amount, amount_today, entries, entries_today, *rest in groups:
        quantity, quantity_rows, category, standard = rest
        if kind == EntryKind.CASH:
            add("cash_today", amount_today)
            add("cash_total", amount)
        elif kind == EntryKind.ALLOCATION:
            add("allocated_total", amount)
        if kind in (EntryKind.CASH, EntryKind.GOODS):
            sums["donations_today"] += entries_today
            sums["donations_total"] += entries
        if kind == EntryKind.GOODS:
            sums["goods_today"] += entries_today
        # Goods in stock: received (goods) and allocated quantities, rows with a quantity only.
        if kind in (EntryKind.GOODS, EntryKind.ALLOCATION) and quantity_rows:
            r = goods.setdefault(
                (item, specification, unit),
                {
                    "item": item,
                    "specification": specification,
                    "unit": unit,
                    "received": None,
                    "allocated": None,
                    "category": None,
                    "standard": None,
                },
            )
            if kind == EntryKind.GOODS:
                r["received"], r["category"], r["standard"] = quantity, category, standard
            else:
                r["allocated"] = quantity
    rows = [goods[key] for key in sorted(goods)]
    labels = dict(GoodsCategory.choices)
    stock = []
    for r in rows:
        in_stock = (r["received"] or 0) - (r["allocated"] or 0)
        stock.append(
            {
                "item": r["item"],
                "specification": r["specification"],
                "unit": r["unit"],
                "standard": r["standard"] or "",
                "category": r["category"] or "",
                "category_label": str(labels.get(r["category"] or "", r["category"] or "")),
                "received": r["received"] or 0,
                "allocated": r["allocated"] or 0,
                "in_stock": in_stock,
            }
        )
    stock.sort(key=lambda s: (s["category"], s["item"], s["specification"]))

    def money(value):
        return (value or Decimal("0")).quantize(Decimal("0.01"))

    return {
        "cash_today": money(sums["cash_today"]),
        "cash_total": money(sums["cash_total"]),
        "cash_balance": money(sums["cash_total"]) - money(sums["allocated_total"]),
        "donations_today": sums["donations_today"],
        "donations_total": sums["donations_total"],
        "goods_today": sums["goods_today"],
        "stock": stock,
        "by_category": _stock_by_category(stock, labels),
    }


def _stock_by_category(stock, labels):
    # Per category, over the (bounded) list of distinct goods items, not over ledger rows.
    totals = {}
    for s in stock:
        entry = totals.setdefault(
            s["category"],
            {"category": s["category"], "label": s["category_label"], "items": 0, "in_stock": 0},
        )
        if s["in_stock"] > 0:
            entry["items"] += 1
            entry["in_stock"] += s["in_stock"]
    return sorted(totals.values(), key=lambda t: t["category"])


def _hinted_categories(text):
    return [code for code, words in GOODS_HINTS.items() if any(word in text for word in words)]


def shortages(scope, stock, limit=SHORTAGE_LIMIT):
    """Open supply-shortage issues, oldest first, each with the goods in stock that could answer it
    (goods whose category the issue's text names first, then any other protective goods): one query
    for the issues and one for the allocations already linked to them."""
    from home.ledger.models import EntryKind, LedgerEntry

    issues = list(
        _open(scope.issues())
        .filter(category__code=SUPPLY_SHORTAGE_CODE)
        .order_by("found_on", "pk")
        .values("pk", "number", "title", "description", "institution_id", "institution__name", "deadline")[
            :limit
        ]
    )
    allocated = {}
    # Filtered on the issues only (their index), the kind inside the aggregates: with `kind` in the
    # WHERE clause, the planner reads every allocation of the ledger through the kind index.
    is_allocation = Q(kind=EntryKind.ALLOCATION)
    for r in (
        LedgerEntry.objects.filter(issue_id__in=[i["pk"] for i in issues])
        .order_by()
        .values("issue_id", "item", "unit")
        .annotate(quantity=Sum("quantity", filter=is_allocation), rows=Count("pk", filter=is_allocation))
    ):
        if r.pop("rows"):
            allocated.setdefault(r["issue_id"], []).append(r)
    for issue in issues:
        issue["matches"] = _matching_stock(f"{issue['title']} {issue['description']}", stock)
        issue["allocations"] = allocated.get(issue["pk"], [])
        issue["overdue"] = issue["deadline"] < scope.today
    return issues


def _matching_stock(text, stock):
    """Goods in stock for a shortage described by `text`: the categories it names first."""
    hinted = _hinted_categories(text)
    available = [s for s in stock if s["in_stock"] > 0 and s["category"] != "food"]
    return sorted(available, key=lambda s: (s["category"] not in hinted, s["category"], s["item"]))


def shortages_for_issue(issue, stock):
    return _matching_stock(f"{issue.title} {issue.description}", stock)
