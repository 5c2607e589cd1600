"""The supplies loop in a real browser: a unit files the daily stock report on a 390 px phone, the
rule raises the shortage, and comms confirms the proposed allocation of donated masks."""

import pytest

from django.utils import timezone

from home.ledger import services as ledger_services
from home.ledger.models import EntryKind, GoodsItem, LedgerEntry
from snippets import stock
from snippets.choices import Area, InstitutionKind
from snippets.models import StockReport, SupplyShortage
from tests.snippets.factories import InstitutionFactory
from workflows import roles

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def test_a_unit_files_the_report_on_a_phone_and_comms_confirms_the_proposal(page_as, users, artifacts_dir):
    home = InstitutionFactory(
        name="河西乡康乐养老院",
        area=Area.RURAL,
        kind=InstitutionKind.PRIVATE_ELDER_CARE,
        staff=9,
        residents=42,
    )
    home.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    masks = GoodsItem.objects.get(name="医用防护口罩")
    suits = GoodsItem.objects.get(name="医用一次性防护服")

    page = page_as(roles.RESPONSIBLE_UNIT, viewport=PHONE)
    page.goto("/admin/supplies/")
    page.get_by_role("link", name="填报今日物资日报").click()
    page.wait_for_url("**/admin/supplies/report/")
    assert page.input_value("input[name=staff_count]") == "9"
    page.fill(f"input[name=goods-{masks.pk}-on_hand]", "30")
    page.fill(f"input[name=goods-{masks.pk}-daily_use]", "0")
    page.fill(f"input[name=goods-{suits.pk}-on_hand]", "60")
    page.fill(f"input[name=goods-{suits.pk}-daily_use]", "4")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.get_by_role("button", name="提交日报").click()
    # A use of 0 is refused, naming the goods item; nothing is written.
    page.wait_for_selector(".inspection__item .error")
    assert (
        "医用防护口罩 N95 折叠式（只）：日消耗量须大于 0"
        in page.locator(".inspection__item .error").first.inner_text()
    )
    assert not StockReport.objects.exists()
    page.fill(f"input[name=goods-{masks.pk}-daily_use]", "40")
    page.get_by_role("button", name="提交日报").click()
    page.wait_for_selector("text=物资日报已提交")
    history = page.locator(".stock-report__history").inner_text()
    assert "可用 0.8 天" in history and "可用 15.0 天" in history
    page.screenshot(path=str(artifacts_dir / "stock-report-phone.png"), full_page=True)
    assert (
        StockReport.objects.get(institution=home, day=timezone.localdate()).reported_by
        == users[roles.RESPONSIBLE_UNIT]
    )

    stock.evaluate_shortages()  # what the task queued on commit does (no cluster in this test)
    shortage = SupplyShortage.objects.get()
    ledger_services.record_entry(
        number="WZ-B-001",
        kind=EntryKind.GOODS,
        entry_date=timezone.localdate(),
        quantity=500,
        item=masks.name,
        specification=masks.specification,
        standard=masks.standard,
        unit=masks.unit,
        category=masks.category,
        donor={"name": "某某医疗器械有限公司", "donor_type": "organisation"},
    )

    page = page_as(roles.COMMUNICATIONS)
    page.goto("/admin/supplies/")
    page.get_by_role("link", name=str(masks)).click()
    page.wait_for_url(f"**/admin/supplies/proposals/{masks.pk}/")
    assert "农村机构 90只" in page.locator(".proposal__split").inner_text()
    assert "河西乡康乐养老院" in page.locator(".proposal__rows").inner_text()
    page.get_by_role("button", name="确认分配并记入台账").click()
    page.wait_for_selector("text=已确认分配 1 笔")
    page.screenshot(path=str(artifacts_dir / "allocation-proposal.png"), full_page=True)
    entry = LedgerEntry.objects.get(kind=EntryKind.ALLOCATION)
    assert (entry.issue, entry.recipient, entry.quantity) == (shortage.issue, home, 90)
