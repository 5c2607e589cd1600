"""Business rules of the supplies loop: filing a daily stock report and the shortage rule.

Views (the phone form), tasks and the demo seeder call these. Raising issues goes through
`snippets.services.raise_supply_shortages`; closing them only through `workflows.services.transition`
(the "resolve" move, made by the system).

Rules:
- one report per institution and day; filing again that day updates it (the later filing wins) and
  every filing is kept in StockReportRevision. The unique constraint plus a locked re-read make two
  simultaneous filings one row with two revisions;
- days of cover = on hand / daily use; a daily use of 0 is refused (the unit must say what it uses:
  an "infinite" cover would hide exactly the homes that stopped using masks because they had none);
- below the goods item's threshold (GoodsItem.shortage_threshold_days, default 3) an issue is raised,
  one per institution and item while open; it is closed when the item's two latest reports (two
  days) both show cover at or above the threshold.
"""

import datetime
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.translation import gettext as _

from home.ledger.models import GoodsItem
from snippets import services
from snippets.models import Institution, StockLine, StockReport, StockReportRevision, SupplyShortage
from workflows import roles
from workflows.choices import Stage

logger = logging.getLogger(__name__)

OVERDUE_WORKING_DAYS = 2  # a latest report older than this many working days is overdue
RECOVERY_REPORTS = 2  # reports (days) at or above the threshold before a shortage closes itself
LOOKBACK_DAYS = 30  # older reports say nothing about today's stock


def line_field(goods_id, name):
    """The form field (and error key) of one goods item's figure: on_hand or daily_use."""
    return f"goods-{goods_id}-{name}"


def reporting_institutions(user):
    """Institutions `user` may file stock reports for: a responsible unit's own, nobody else's."""
    if roles.RESPONSIBLE_UNIT not in roles.member_role_keys(user):
        return Institution.objects.none()
    return Institution.objects.filter(responsible_users=user)


def overdue_before(today=None):
    """Reports dated before this day are overdue (older than OVERDUE_WORKING_DAYS working days,
    counted on the project's calendar). A year the calendar does not know counts weekdays, since
    an overdue flag, unlike a deadline, decides nothing."""
    from workflows.calendar import UnknownCalendarYear, WorkingCalendar

    today = today or timezone.localdate()
    try:
        return WorkingCalendar().subtract_working_days(today, OVERDUE_WORKING_DAYS)
    except UnknownCalendarYear:
        day, remaining = today, OVERDUE_WORKING_DAYS
        while remaining:
            day -= datetime.timedelta(days=1)
            remaining -= day.weekday() < 5
        return day


def catalogue():
    return list(GoodsItem.objects.filter(active=True))


def is_short(on_hand, daily_use, threshold):
    return on_hand < threshold * daily_use


def _whole_number(value):
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not text or not text.lstrip("-").isdigit():
        raise ValueError
    return int(text)


def clean_report(day, staff_count, residents_count, lines, today=None):
    """Validate a filing; returns (day, staff, residents, [(GoodsItem, on_hand, daily_use)]).

    Raises ValidationError keyed by field ("day", "staff_count", "residents_count",
    `line_field(goods, ...)`, "lines"), each message naming the field and why. `lines` is a list of
    (goods_id, on_hand, daily_use) in any input form (strings from a form, ints from code)."""
    today = today or timezone.localdate()
    errors = {}
    if not isinstance(day, datetime.date):
        errors["day"] = _("日期格式不正确。")
    elif day > today:
        errors["day"] = _("不能填报未来日期（%(day)s）的日报。") % {"day": day}
    counts = {}
    for field, label, value in (
        ("staff_count", _("工作人员数"), staff_count),
        ("residents_count", _("在住人数"), residents_count),
    ):
        try:
            counts[field] = _whole_number(value)
        except ValueError:
            errors[field] = _("%(field)s须为整数。") % {"field": label}
            continue
        if counts[field] < 0:
            errors[field] = _("%(field)s不能为负数。") % {"field": label}
    items = GoodsItem.objects.in_bulk(
        [goods_id for goods_id, *_rest in lines if str(goods_id).isdigit()], field_name="pk"
    )
    clean_lines, seen = [], set()
    for goods_id, on_hand, daily_use in lines:
        goods = items.get(int(goods_id)) if str(goods_id).isdigit() else None
        if goods is None or not goods.active:
            errors.setdefault("lines", []).append(
                _("物资“%(goods)s”不在物资目录中。") % {"goods": goods if goods else goods_id}
            )
            continue
        if goods.pk in seen:
            errors.setdefault("lines", []).append(_("物资“%(goods)s”重复填写。") % {"goods": goods})
            continue
        seen.add(goods.pk)
        figures = {}
        for name, label, value in (
            ("on_hand", _("库存数量"), on_hand),
            ("daily_use", _("日消耗量"), daily_use),
        ):
            try:
                figures[name] = _whole_number(value)
            except ValueError:
                errors[line_field(goods.pk, name)] = _(
                    "%(goods)s：%(field)s须为整数（最小单位：%(unit)s）。"
                ) % {
                    "goods": goods,
                    "field": label,
                    "unit": goods.unit,
                }
                continue
            if figures[name] < 0:
                errors[line_field(goods.pk, name)] = _("%(goods)s：%(field)s不能为负数。") % {
                    "goods": goods,
                    "field": label,
                }
        if figures.get("daily_use") == 0:
            errors[line_field(goods.pk, "daily_use")] = _(
                "%(goods)s：日消耗量须大于 0（可用天数 = 库存 ÷ 日消耗）；不使用的物资请留空整行。"
            ) % {"goods": goods}
        if line_field(goods.pk, "on_hand") in errors or line_field(goods.pk, "daily_use") in errors:
            continue
        clean_lines.append((goods, figures["on_hand"], figures["daily_use"]))
    if not clean_lines and not errors.get("lines") and not any(key.startswith("goods-") for key in errors):
        errors["lines"] = [_("请至少填写一种物资的库存和日消耗。")]
    if errors:
        raise ValidationError(errors)
    return day, counts["staff_count"], counts["residents_count"], clean_lines


def file_stock_report(institution, day, staff_count, residents_count, lines, actor, today=None):
    """File (or refile) `institution`'s report for `day` as `actor`; returns the StockReport.

    Raises PermissionDenied if `actor` is not a responsible unit of the institution, and
    ValidationError (see `clean_report`) with nothing written. The shortage rule runs in a task
    queued when the transaction commits.
    """
    if actor is not None and not reporting_institutions(actor).filter(pk=institution.pk).exists():
        raise PermissionDenied(_("只能填报本单位机构的物资日报。"))
    day, staff, residents, clean_lines = clean_report(day, staff_count, residents_count, lines, today)
    content = {
        "staff_count": staff,
        "residents_count": residents,
        "lines": [
            {"goods": goods.pk, "on_hand": on_hand, "daily_use": daily_use}
            for goods, on_hand, daily_use in clean_lines
        ],
    }
    with transaction.atomic():
        try:
            with transaction.atomic():
                StockReport.objects.create(
                    institution=institution, day=day, staff_count=staff, residents_count=residents
                )
        except IntegrityError:
            pass  # filed before (or by a concurrent request that committed first): update it
        # The row lock makes simultaneous filings take turns: each gets its own revision number,
        # and the one that commits last is what the report says.
        report = StockReport.objects.select_for_update().get(institution=institution, day=day)
        StockReport.objects.filter(pk=report.pk).update(
            staff_count=staff,
            residents_count=residents,
            reported_by=actor,
            revision=F("revision") + 1,
            updated_at=timezone.now(),
        )
        report.refresh_from_db()
        report.lines.all().delete()
        StockLine.objects.bulk_create(
            [
                StockLine(report=report, goods=goods, on_hand=on_hand, daily_use=daily_use)
                for goods, on_hand, daily_use in clean_lines
            ]
        )
        StockReportRevision.objects.create(
            report=report, revision=report.revision, submitted_by=actor, content=content
        )
        transaction.on_commit(lambda: services._queue("snippets.tasks.evaluate_stock_report", report.pk))
    logger.info(
        "Stock report %s of institution %s for %s filed (revision %d)",
        report.pk,
        institution.pk,
        day,
        report.revision,
    )
    return report


# --- the shortage rule ---------------------------------------------------------------------------


def latest_lines(institution_ids=None, today=None):
    """{(institution_id, goods_id): [(day, on_hand, daily_use), ...]} newest first, at most
    RECOVERY_REPORTS per pair, from reports of the last LOOKBACK_DAYS: one query."""
    today = today or timezone.localdate()
    rows = StockLine.objects.filter(
        report__day__gte=today - datetime.timedelta(days=LOOKBACK_DAYS), report__day__lte=today
    )
    if institution_ids is not None:
        rows = rows.filter(report__institution_id__in=institution_ids)
    rows = (
        rows.annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("report__institution_id"), F("goods_id")],
                order_by=F("report__day").desc(),
            )
        )
        .filter(rank__lte=RECOVERY_REPORTS)
        .values_list("report__institution_id", "goods_id", "report__day", "on_hand", "daily_use", "rank")
    )
    found = {}
    for institution_id, goods_id, day, on_hand, daily_use, rank in rows:
        found.setdefault((institution_id, goods_id), []).append((rank, day, on_hand, daily_use))
    return {key: [row[1:] for row in sorted(value)] for key, value in found.items()}


def evaluate_shortages(institution_ids=None, today=None):
    """Apply the shortage rule to the given institutions (all: None). Idempotent.

    A constant number of queries whatever the number of institutions and items, plus one
    transition per shortage that closes (each stage move goes through the transition service).
    """
    today = today or timezone.localdate()
    goods = GoodsItem.objects.in_bulk()
    lines = latest_lines(institution_ids, today)
    open_rows = SupplyShortage.objects.filter(closed_at__isnull=True)
    if institution_ids is not None:
        open_rows = open_rows.filter(institution_id__in=institution_ids)
    open_shortages = {
        (row["institution_id"], row["goods_id"]): row
        for row in open_rows.values("pk", "institution_id", "goods_id", "issue_id", "issue__stage")
    }

    to_raise = []
    for (institution_id, goods_id), history in sorted(lines.items()):
        day, on_hand, daily_use = history[0]
        item = goods[goods_id]
        if (institution_id, goods_id) in open_shortages:
            continue
        if is_short(on_hand, daily_use, item.shortage_threshold_days):
            to_raise.append(
                {
                    "institution_id": institution_id,
                    "goods": item,
                    "day": day,
                    "on_hand": on_hand,
                    "daily_use": daily_use,
                    "threshold": item.shortage_threshold_days,
                }
            )
    raised = services.raise_supply_shortages(to_raise, found_on=today)

    ended, to_resolve = [], []
    for key, row in open_shortages.items():
        if row["issue__stage"] == Stage.CLOSED:
            ended.append(row["pk"])  # closed by a person (e.g. leadership): the shortage ends too
            continue
        history = lines.get(key, [])
        threshold = goods[key[1]].shortage_threshold_days
        if len(history) >= RECOVERY_REPORTS and not any(
            is_short(on_hand, use, threshold) for _day, on_hand, use in history[:RECOVERY_REPORTS]
        ):
            to_resolve.append((row, history[:RECOVERY_REPORTS], threshold))
    if ended:
        SupplyShortage.objects.filter(pk__in=ended, closed_at__isnull=True).update(closed_at=timezone.now())
    resolved = [row["pk"] for row, history, threshold in to_resolve if _resolve(row, history, threshold)]
    return {"raised": len(raised), "resolved": len(resolved), "ended": len(ended)}


def _resolve(row, history, threshold):
    from workflows.services import TransitionError, transition

    note = _("库存已连续 %(n)d 天不低于阈值（%(threshold)d 天）：%(days)s。") % {
        "n": RECOVERY_REPORTS,
        "threshold": threshold,
        "days": "；".join(
            _("%(day)s 可用 %(cover)s 天") % {"day": day, "cover": f"{on_hand / use:.1f}"}
            for day, on_hand, use in history
        ),
    }
    try:
        with transaction.atomic():
            transition(
                row["issue_id"], "resolve", None, note=note, request_key=f"shortage-resolve:{row['pk']}"
            )
            SupplyShortage.objects.filter(pk=row["pk"], closed_at__isnull=True).update(
                closed_at=timezone.now()
            )
    except TransitionError as exc:
        logger.info("Supply shortage %s not closed: %s", row["pk"], exc.message)
        return False
    logger.info(
        "Supply shortage %s closed: issue %s resolved by the system (%s)", row["pk"], row["issue_id"], note
    )
    return True
