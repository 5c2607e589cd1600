"""Demo supplies loop for `seed_demo`: two days of stock reports, two shortages raised by the rule,
one of them answered by an allocation of donated masks that comms confirmed. Idempotent: reports
are filed only for days that have none, the donation and the allocation only once."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.utils import timezone

from home.ledger import services as ledger_services
from home.ledger.models import EntryKind, GoodsItem, LedgerEntry
from snippets import allocations, stock
from snippets.models import Institution, StockReport, SupplyShortage

MASKS = "医用防护口罩"
SUITS = "医用一次性防护服"


def _file(institution, day, figures, actor):
    if StockReport.objects.filter(institution=institution, day=day).exists():
        return
    goods = {item.name: item for item in GoodsItem.objects.filter(name__in=figures)}
    lines = [(goods[name].pk, on_hand, use) for name, (on_hand, use) in figures.items()]
    stock.file_stock_report(
        institution, day, institution.staff or 8, institution.residents or 40, lines, actor
    )


def seed_supplies(stdout):
    User = get_user_model()
    today = timezone.localdate()
    unit = User.objects.filter(username="unit").first()
    town = Institution.objects.filter(name="城关镇敬老院").first()
    rural_private = Institution.objects.filter(name="河西乡康乐养老院").first()
    if town is None or rural_private is None:
        stdout.write("  supplies skipped (no demo institutions)")
        return
    for offset in (1, 0):
        day = today - dt.timedelta(days=offset)
        # 城关镇敬老院 (the demo unit's): suits run short; the private rural home has almost no masks.
        _file(town, day, {MASKS: (1200, 60), SUITS: (20, 10)}, unit if unit and offset == 0 else None)
        _file(rural_private, day, {MASKS: (30, 40), SUITS: (60, 4)}, None)
    for name in Institution.objects.exclude(pk__in=[town.pk, rural_private.pk]).values_list("pk", flat=True)[
        :6
    ]:
        institution = Institution.objects.get(pk=name)
        _file(institution, today, {MASKS: (900, 50), SUITS: (80, 5)}, None)
    stock.evaluate_shortages(today=today)

    masks = GoodsItem.objects.get(name=MASKS)
    number = f"WZ{today:%Y%m%d}D01"
    if not LedgerEntry.objects.filter(number=number).exists():
        ledger_services.record_entry(
            number=number,
            kind=EntryKind.GOODS,
            entry_date=today,
            category=masks.category,
            item=masks.name,
            specification=masks.specification,
            standard=masks.standard,
            unit=masks.unit,
            quantity=500,
            package_unit="箱（500只）",
            receiving_point="市民政局物资仓库",
            donor={"name": "某某医疗器械有限公司", "donor_type": "organisation"},
        )
    comms = User.objects.filter(username="comms").first()
    answered = LedgerEntry.objects.filter(
        kind=EntryKind.ALLOCATION, issue__supply_shortage__goods=masks
    ).exists()
    if comms is not None and not answered and allocations.propose(masks).total_proposed:
        allocations.confirm(masks, comms, day=today)
    open_count = SupplyShortage.objects.filter(closed_at__isnull=True).count()
    stdout.write(
        f"  stock reports filed; {open_count} open supply shortages, masks answered by an allocation"
    )
