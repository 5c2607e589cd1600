"""The day's arithmetic: opening + received − allocated = closing, for cash and per goods item.

`compute_day(day)` reads the ledger with a fixed number of queries (aggregates, not row loops) and
`check_day(day)` says whether the day may be published and, if not, exactly where it differs.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from home.ledger.models import DisclosureRecord, EntryKind, LedgerEntry

ZERO = Decimal("0.00")


def _money(value):
    return (value or ZERO).quantize(Decimal("0.01"))


def latest_record(day, before=True):
    """The latest published version of the last published day before `day` (or of `day` itself)."""
    records = DisclosureRecord.objects.order_by("-disclosure_date", "-version")
    records = records.filter(disclosure_date__lt=day) if before else records.filter(disclosure_date=day)
    return records.first()


def cash_sums(queryset):
    sums = queryset.aggregate(
        received=Sum("amount", filter=Q(kind=EntryKind.CASH)),
        allocated=Sum("amount", filter=Q(kind=EntryKind.ALLOCATION)),
        goods_batches=Count("pk", filter=Q(kind=EntryKind.GOODS, corrects__isnull=True)),
    )
    return _money(sums["received"]), _money(sums["allocated"]), sums["goods_batches"] or 0


def goods_sums(queryset):
    """{(item, specification, unit): [received, allocated]} with one grouped query."""
    rows = (
        queryset.filter(quantity__isnull=False)
        .values("item", "specification", "unit", "kind")
        .annotate(total=Sum("quantity"))
        .order_by()
    )
    result = defaultdict(lambda: [0, 0])
    for row in rows:
        key = (row["item"], row["specification"], row["unit"])
        if row["kind"] == EntryKind.GOODS:
            result[key][0] += row["total"]
        elif row["kind"] == EntryKind.ALLOCATION:
            result[key][1] += row["total"]
    return result


def stock(keys=None):
    """Current stock per goods key over the whole ledger."""
    queryset = LedgerEntry.objects.all()
    if keys is not None:
        items = {key[0] for key in keys}
        queryset = queryset.filter(item__in=items)
    return {key: received - allocated for key, (received, allocated) in goods_sums(queryset).items()}


@dataclass
class DayResult:
    day: object
    cash: dict
    goods: list
    counts: dict
    cumulative: dict
    problems: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.problems

    def message(self):
        return _("本日账目不平衡，不能发布：") + "；".join(self.problems)

    def totals(self):
        """The JSON-safe totals stored on the record and used by the canonical form."""
        return {
            "cash": {key: f"{value:.2f}" for key, value in self.cash.items()},
            "goods": self.goods,
            "counts": self.counts,
        }


def compute_day(day):
    """Totals of one day: the ledger's view, with the previous publication's closing as opening."""
    before = LedgerEntry.objects.filter(entry_date__lt=day)
    on_day = LedgerEntry.objects.filter(entry_date=day)
    problems = []

    received_before, allocated_before, batches_before = cash_sums(before)
    received, allocated, goods_batches = cash_sums(on_day)
    ledger_opening = received_before - allocated_before

    previous = latest_record(day, before=True)
    same_day = latest_record(day, before=False)
    if same_day is not None:
        # A new version of a published day keeps the opening it was published with.
        opening = Decimal(same_day.totals["cash"]["opening"])
        goods_opening = {
            (g["item"], g["specification"], g["unit"]): g["opening"] for g in same_day.totals["goods"]
        }
    elif previous is not None:
        opening = Decimal(previous.totals["cash"]["closing"])
        goods_opening = {
            (g["item"], g["specification"], g["unit"]): g["closing"] for g in previous.totals["goods"]
        }
    else:
        opening = ZERO
        goods_opening = {}

    if opening != ledger_opening:
        unpublished_days = list(
            before.filter(frozen=False)
            .values_list("entry_date", flat=True)
            .distinct()
            .order_by("entry_date")[:5]
        )
        where = (
            _("未公示的日期：{days}").format(days="、".join(d.isoformat() for d in unpublished_days))
            if unpublished_days
            else _("已公示的记录被改动")
        )
        problems.append(
            _("现金期初余额 {opening} 与台账 {ledger} 相差 {diff} 元（{where}）").format(
                opening=f"{opening:.2f}",
                ledger=f"{ledger_opening:.2f}",
                diff=f"{ledger_opening - opening:.2f}",
                where=where,
            )
        )
    closing = opening + received - allocated
    if closing < 0:
        problems.append(_("现金期末余额为负：{closing} 元").format(closing=f"{closing:.2f}"))

    goods_before = goods_sums(before)
    goods_day = goods_sums(on_day)
    goods = []
    for key in sorted(set(goods_before) | set(goods_day) | set(goods_opening)):
        ledger_open = goods_before[key][0] - goods_before[key][1] if key in goods_before else 0
        opened = goods_opening.get(key, 0)
        if opened != ledger_open:
            problems.append(
                _("物资“{item} {spec}”期初库存 {opening}{unit} 与台账 {ledger}{unit} 不一致").format(
                    item=key[0], spec=key[1], unit=key[2], opening=opened, ledger=ledger_open
                )
            )
        day_received, day_allocated = goods_day.get(key, (0, 0))
        closed = opened + day_received - day_allocated
        if closed < 0:
            problems.append(
                _("物资“{item} {spec}”期末库存为负：{closing}{unit}").format(
                    item=key[0], spec=key[1], unit=key[2], closing=closed
                )
            )
        if key in goods_day or opened:
            goods.append(
                {
                    "item": key[0],
                    "specification": key[1],
                    "unit": key[2],
                    "opening": opened,
                    "received": day_received,
                    "allocated": day_allocated,
                    "closing": closed,
                }
            )

    counts = dict(on_day.values("kind").annotate(n=Count("pk")).order_by().values_list("kind", "n"))
    cumulative_received = received_before + received
    cumulative_allocated = allocated_before + allocated
    cumulative = {
        "cash_received": f"{cumulative_received:.2f}",
        "cash_allocated": f"{cumulative_allocated:.2f}",
        "cash_balance": f"{cumulative_received - cumulative_allocated:.2f}",
        "goods_batches": batches_before + goods_batches,
    }
    return DayResult(
        day=day,
        cash={"opening": opening, "received": received, "allocated": allocated, "closing": closing},
        goods=goods,
        counts=counts,
        cumulative=cumulative,
        problems=problems,
    )


def check_day(day):
    """compute_day plus the cross-check that the day's totals equal the sum of its rows."""
    result = compute_day(day)
    rows = LedgerEntry.objects.filter(entry_date=day).only("kind", "amount")
    received = sum((e.amount or ZERO for e in rows.iterator() if e.kind == EntryKind.CASH), ZERO)
    allocated = sum((e.amount or ZERO for e in rows.iterator() if e.kind == EntryKind.ALLOCATION), ZERO)
    if received != result.cash["received"] or allocated != result.cash["allocated"]:
        result.problems.append(
            _("当日合计与逐行相加不符：收入相差 {r} 元，支出相差 {a} 元").format(
                r=f"{received - result.cash['received']:.2f}", a=f"{allocated - result.cash['allocated']:.2f}"
            )
        )
    return result
