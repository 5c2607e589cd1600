"""The dashboard's supplies figures (workflows.dashboard.supplies): days of cover by institution
and by rural/urban x public/private, overdue stock reports, open shortages and allocations."""

import datetime as dt

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from home.ledger.models import GoodsItem
from snippets import stock
from snippets.choices import Area, InstitutionKind
from snippets.models import StockLine
from tests.snippets.factories import InstitutionFactory
from tests.snippets.stock_factories import put_reports
from workflows import roles
from workflows.dashboard.supplies import supplies_figures

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


@pytest.fixture
def world(users):
    masks = GoodsItem.objects.get(name="医用防护口罩")
    suits = GoodsItem.objects.get(name="医用一次性防护服")
    rural = InstitutionFactory(
        name="西河民办养老院", area=Area.RURAL, kind=InstitutionKind.PRIVATE_ELDER_CARE
    )
    urban = InstitutionFactory(name="城关镇敬老院", area=Area.URBAN)
    stale = InstitutionFactory(name="东山乡敬老院", area=Area.RURAL)
    silent = InstitutionFactory(name="南湖社区养老中心", area=Area.URBAN)
    put_reports([rural], [masks, suits], TODAY, on_hand=10, daily_use=10)
    StockLine.objects.filter(report__institution=rural, goods=suits).update(on_hand=50)
    put_reports([urban], [masks, suits], TODAY, on_hand=100, daily_use=10)
    put_reports([stale], [masks], TODAY - dt.timedelta(days=10), on_hand=100, daily_use=10)
    stock.evaluate_shortages()
    rural.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    return {"rural": rural, "urban": urban, "stale": stale, "silent": silent}


def test_cover_by_institution_and_group_overdue_reports_and_open_shortages(world, users):
    figures = supplies_figures(users[roles.LEADERSHIP])
    rows = {row["name"]: row for row in figures["institutions"]}
    assert (rows["西河民办养老院"]["lowest_goods"], rows["西河民办养老院"]["lowest_cover"]) == (
        "医用防护口罩",
        1.0,
    )
    assert rows["城关镇敬老院"]["lowest_cover"] == 10.0
    assert figures["groups"][("rural", "private")] == {"institutions": 1, "lowest": 1.0, "mean": 1.0}
    assert figures["groups"][("urban", "public")]["lowest"] == 10.0
    assert {row["name"] for row in figures["overdue"]} == {"东山乡敬老院", "南湖社区养老中心"}
    assert [(s["institution__name"], s["goods__name"]) for s in figures["shortages"]] == [
        ("西河民办养老院", "医用防护口罩")
    ]


def test_a_unit_sees_only_its_own_institution_on_the_dashboard(client, world, users):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    page = client.get("/admin/dashboard/").content.decode()
    assert 'id="supplies"' in page and "西河民办养老院" in page
    assert "城关镇敬老院" not in page and "南湖社区养老中心" not in page
    client.force_login(users[roles.LEADERSHIP])
    page = client.get("/admin/dashboard/").content.decode()
    assert "城关镇敬老院" in page and "南湖社区养老中心" in page


def test_the_figures_are_a_constant_number_of_queries(world, users):
    masks = GoodsItem.objects.get(name="医用防护口罩")
    supplies_figures(users[roles.LEADERSHIP])  # the user's roles are read once and kept
    with CaptureQueriesContext(connection) as small:
        supplies_figures(users[roles.LEADERSHIP])
    put_reports(InstitutionFactory.create_batch(60), [masks], TODAY, on_hand=5, daily_use=10)
    stock.evaluate_shortages()
    with CaptureQueriesContext(connection) as large:
        figures = supplies_figures(users[roles.LEADERSHIP])
    assert len(figures["shortages"]) == 61
    assert len(small.captured_queries) == len(large.captured_queries)


def test_allocations_linked_to_shortage_issues_are_summed_per_recipient_and_item(world, users):
    from home.ledger import services
    from snippets.models import SupplyShortage
    from tests.home import ledger_support as files

    rural = world["rural"]
    issue = SupplyShortage.objects.get(institution=rural).issue
    files.add_goods("WZ-S1", TODAY, quantity=1000)
    for number, quantity in (("BF-S1", 100), ("BF-S2", 50)):
        services.record_entry(
            number=number,
            kind="allocation",
            entry_date=TODAY,
            item="医用防护口罩",
            specification="N95",
            unit="只",
            quantity=quantity,
            recipient=rural,
            recipient_name=rural.name,
            issue=issue,
            purpose="补充口罩",
            approver="李四",
        )
    files.add_allocation("BF-S3", TODAY, quantity=30)  # not linked to a shortage issue
    figures = supplies_figures(users[roles.LEADERSHIP])
    assert figures["allocated"] == [
        {"recipient_name": "西河民办养老院", "item": "医用防护口罩", "unit": "只", "quantity": 150}
    ]
