"""The supplies loop's dashboard figures: days of cover by institution (rural/urban, public/private),
overdue stock reports, open shortages and what was allocated to them.

`supplies_figures(scope)` is the one entry point (the dashboard section and, later, the daily brief):
`scope` is a user (their institutions, `snippets.permissions.institutions_for`) or a queryset of
institutions. A fixed number of queries whatever the number of institutions.
"""

import datetime as dt
from collections import defaultdict

from django.db.models import Count, F, Q, QuerySet, Sum, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from home.ledger.models import EntryKind, LedgerEntry
from snippets.choices import Area, InstitutionKind
from snippets.models import Institution, StockLine, SupplyShortage


def _institutions(scope):
    if isinstance(scope, QuerySet):
        return scope
    if isinstance(scope, Institution):
        return Institution.objects.filter(pk=scope.pk)
    from snippets.permissions import institutions_for

    return institutions_for(scope)


def group_of(institution):
    area = "rural" if institution["area"] == Area.RURAL else "urban"
    owner = "private" if institution["kind"] == InstitutionKind.PRIVATE_ELDER_CARE else "public"
    return area, owner


def institution_cover(scope, today=None):
    """Each institution of `scope` with its lowest days of cover (the goods item, the days, the day
    of its last report) and whether its report is overdue: two queries. Shared by the dashboard's
    supplies section and the daily brief."""
    from snippets.stock import LOOKBACK_DAYS, overdue_before

    today = today or timezone.localdate()
    institutions = list(
        _institutions(scope).order_by("township", "name").values("pk", "name", "area", "kind", "township")
    )
    ids = [row["pk"] for row in institutions]
    # The latest line of each institution x item over the lookback window (one query).
    latest = (
        StockLine.objects.filter(
            report__institution_id__in=ids,
            report__day__gte=today - dt.timedelta(days=LOOKBACK_DAYS),
            report__day__lte=today,
        )
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("report__institution_id"), F("goods_id")],
                order_by=F("report__day").desc(),
            )
        )
        .filter(rank=1)
        .values_list("report__institution_id", "goods__name", "report__day", "on_hand", "daily_use")
    )
    lowest, last_day = {}, {}
    for institution_id, goods_name, day, on_hand, daily_use in latest:
        cover = on_hand / daily_use
        if institution_id not in lowest or cover < lowest[institution_id][1]:
            lowest[institution_id] = (goods_name, cover)
        last_day[institution_id] = max(day, last_day.get(institution_id, day))
    overdue_day = overdue_before(today)

    rows = []
    for institution in institutions:
        area, owner = group_of(institution)
        goods_name, cover = lowest.get(institution["pk"], (None, None))
        day = last_day.get(institution["pk"])
        rows.append(
            {
                **institution,
                "area_group": area,
                "owner_group": owner,
                "lowest_goods": goods_name,
                "lowest_cover": round(cover, 1) if cover is not None else None,
                "cover": cover,  # unrounded, for the group figures
                "last_report": day,
                "overdue": day is None or day < overdue_day,
            }
        )
    return rows


def supplies_figures(scope, today=None):
    """{"institutions": [...], "groups": {...}, "overdue": [...], "shortages": [...],
    "allocated": [...]} for the institutions of `scope`."""
    today = today or timezone.localdate()
    rows = institution_cover(scope, today)
    ids = [row["pk"] for row in rows]
    groups = defaultdict(list)
    for row in rows:
        if row["cover"] is not None:
            groups[(row["area_group"], row["owner_group"])].append(row["cover"])
    group_rows = {
        key: {
            "institutions": len(values),
            "lowest": round(min(values), 1),
            "mean": round(sum(values) / len(values), 1),
        }
        for key, values in groups.items()
    }

    shortages = list(
        SupplyShortage.objects.filter(institution_id__in=ids, closed_at__isnull=True)
        .select_related("goods", "issue")
        .order_by("opened_at")
        .values(
            "pk",
            "institution__name",
            "goods__name",
            "goods__unit",
            "issue_id",
            "issue__number",
            "on_hand",
            "daily_use",
        )
    )
    # Filtered on the shortage issues only (the ledger's issue index), the kind inside the
    # aggregates: with `kind` in the WHERE clause the planner read every allocation of the ledger
    # (13 ms at 33,000 allocations, against 1 ms).
    is_allocation = Q(kind=EntryKind.ALLOCATION, quantity__isnull=False)
    allocated = [
        {"recipient_name": r["recipient_name"], "item": r["item"], "unit": r["unit"], "quantity": r["total"]}
        for r in LedgerEntry.objects.filter(
            issue_id__in=SupplyShortage.objects.filter(institution_id__in=ids).values("issue_id")
        )
        .values("recipient_name", "item", "unit")
        .annotate(total=Sum("quantity", filter=is_allocation), rows=Count("pk", filter=is_allocation))
        .order_by("recipient_name", "item")
        if r["rows"]
    ]
    return {
        "today": today,
        "institutions": rows,
        "groups": group_rows,
        "overdue": [row for row in rows if row["overdue"]],
        "shortages": shortages,
        "allocated": allocated,
    }
