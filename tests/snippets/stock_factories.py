"""Factories and set-up helpers of the supplies loop's tests."""

import factory

from home.ledger.models import GoodsCategory, GoodsItem
from snippets.models import StockLine, StockReport


class GoodsItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GoodsItem

    name = factory.Sequence(lambda n: f"测试物资{n}")
    category = GoodsCategory.MASKS
    specification = "标准"
    unit = "只"


def put_reports(institutions, goods, day, on_hand, daily_use=10):
    """Reports of `day` for every institution with one line per goods item, written in bulk
    (set-up only: filing goes through snippets.stock.file_stock_report)."""
    reports = StockReport.objects.bulk_create(
        [
            StockReport(institution=i, day=day, staff_count=5, residents_count=20, revision=1)
            for i in institutions
        ]
    )
    StockLine.objects.bulk_create(
        [StockLine(report=r, goods=g, on_hand=on_hand, daily_use=daily_use) for r in reports for g in goods]
    )
    return reports
