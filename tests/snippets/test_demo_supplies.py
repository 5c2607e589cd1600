import io

import pytest

from django.core.management import call_command

from home.ledger.models import EntryKind, LedgerEntry
from snippets.models import StockReport, SupplyShortage

pytestmark = pytest.mark.django_db


def test_the_demo_shows_two_shortages_one_answered_by_an_allocation_and_is_idempotent():
    call_command("seed_demo", stdout=io.StringIO())
    shortages = SupplyShortage.objects.filter(closed_at__isnull=True).select_related("institution", "goods")
    assert {(s.institution.name, s.goods.name) for s in shortages} == {
        ("城关镇敬老院", "医用一次性防护服"),
        ("河西乡康乐养老院", "医用防护口罩"),
    }
    answered = LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION, issue__supply_shortage__isnull=False)
    assert [(e.recipient.name, e.quantity) for e in answered] == [("河西乡康乐养老院", 90)]
    reports = StockReport.objects.count()

    call_command("seed_demo", stdout=io.StringIO())
    assert SupplyShortage.objects.count() == 2
    assert answered.count() == 1
    assert StockReport.objects.count() == reports
