"""Issue #14: the shortage sweep over 500 institutions x 20 goods items is a constant number of
queries. Measured at 50 x 20 and 500 x 20 with the same ten pairs short in each: the raising
sweep and its idle rerun must take the same number of queries at both sizes (equal_to).
The full table of stock lines (10,000 a day) is read by one windowed query.
"""

import datetime as dt

from tests.bench.core import count_queries, equal_to, info

GOODS = 20
SHORT_PAIRS = 10
QUERY_LIMIT = 20


def _institutions(prefix, count):
    from snippets.choices import Area, InstitutionKind
    from snippets.models import Institution

    return Institution.objects.bulk_create(
        [
            Institution(
                name=f"物资基准{prefix}{n}",
                kind=InstitutionKind.PRIVATE_ELDER_CARE,
                township=f"基准镇{n % 20}",
                area=Area.RURAL if n % 3 else Area.URBAN,
            )
            for n in range(count)
        ]
    )


def _setup(institutions, goods, day):
    from snippets.models import StockLine, StockReport

    reports = StockReport.objects.bulk_create(
        [
            StockReport(institution=i, day=day, staff_count=5, residents_count=30, revision=1)
            for i in institutions
        ]
    )
    StockLine.objects.bulk_create(
        [StockLine(report=r, goods=g, on_hand=1000, daily_use=10) for r in reports for g in goods],
        batch_size=2000,
    )
    short = StockLine.objects.filter(report__in=reports[:SHORT_PAIRS], goods=goods[0])
    short.update(on_hand=10)


def _sweep(institution_ids, day):
    from snippets import stock

    raising = count_queries(lambda: stock.evaluate_shortages(institution_ids, today=day))
    idle = count_queries(lambda: stock.evaluate_shortages(institution_ids, today=day))
    return raising, idle


def measure(ctx):
    from home.ledger.models import GoodsItem
    from snippets.models import IssueNumberCounter

    day = dt.date(2026, 11, 27)
    goods = GoodsItem.objects.bulk_create(
        [
            GoodsItem(name=f"基准物资{n}", category="masks", specification="标准", unit="只")
            for n in range(GOODS)
        ]
    )
    IssueNumberCounter.objects.get_or_create(year=day.year)
    small = _institutions("小", 50)
    _setup(small, goods, day)
    (s_raise, _s, s_q), (s_idle, _t, s_iq) = _sweep([i.pk for i in small], day)

    large = _institutions("大", 500)
    _setup(large, goods, day)
    (l_raise, l_seconds, l_q), (l_idle, l_idle_seconds, l_iq) = _sweep([i.pk for i in large], day)
    return [
        equal_to(
            f"14 shortage sweep, 500 x {GOODS} vs 50 x {GOODS}: queries",
            l_q,
            s_q,
            limit=QUERY_LIMIT,
            note=f"{l_raise['raised']} raised at each size",
        ),
        equal_to("14 shortage sweep, idle rerun 500 vs 50: queries", l_iq, s_iq, limit=QUERY_LIMIT),
        info(f"14 shortage sweep, 500 x {GOODS}: one pass", l_seconds, "s"),
        info(f"14 shortage sweep, 500 x {GOODS}: idle rerun", l_idle_seconds, "s"),
    ]
