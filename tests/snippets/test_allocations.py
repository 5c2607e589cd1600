"""Allocation proposals: donated stock from the ledger answers open shortages, largest need first
when short (the split by rural/urban and private/public shown); comms confirms it as ledger
allocations linked to the issues, which the issue page and that day's disclosure both show."""

import datetime

import pytest

from django.utils import timezone

from home.ledger import services as ledger_services
from home.ledger.models import EntryKind, GoodsItem, LedgerEntry
from snippets import allocations, stock
from snippets.choices import Area, InstitutionKind
from snippets.models import SupplyShortage
from tests.home import ledger_support
from tests.snippets.factories import InstitutionFactory
from tests.snippets.stock_factories import put_reports
from workflows import roles

TODAY = timezone.localdate()


@pytest.fixture
def masks():
    return GoodsItem.objects.get(name="医用防护口罩")


def donate(masks, quantity, number="WZ-T-001", day=TODAY):
    return ledger_services.record_entry(
        number=number,
        kind=EntryKind.GOODS,
        entry_date=day,
        quantity=quantity,
        item=masks.name,
        specification=masks.specification,
        standard=masks.standard,
        unit=masks.unit,
        category=masks.category,
        donor={"name": "某某医疗器械有限公司", "donor_type": "organisation"},
    )


@pytest.fixture
def three_short(masks):
    """Needs (threshold 3 days x use - on hand): rural private 80, urban public 50, rural public 10."""
    homes = [
        InstitutionFactory(name="西河民办养老院", area=Area.RURAL, kind=InstitutionKind.PRIVATE_ELDER_CARE),
        InstitutionFactory(name="城关镇敬老院", area=Area.URBAN),
        InstitutionFactory(name="东山乡敬老院", area=Area.RURAL),
    ]
    for home, on_hand in zip(homes, (10, 10, 20), strict=True):
        put_reports([home], [masks], TODAY, on_hand=on_hand, daily_use=[30, 20, 10][homes.index(home)])
    assert stock.evaluate_shortages()["raised"] == 3
    return homes


@pytest.mark.django_db
def test_short_stock_goes_to_the_largest_need_first_and_the_split_is_named(masks, three_short):
    donate(masks, 100)
    proposal = allocations.propose(masks)
    assert proposal.available == 100 and proposal.total_need == 140 and proposal.is_short
    assert [(row.institution.name, row.need, row.proposed) for row in proposal.rows] == [
        ("西河民办养老院", 80, 80),
        ("城关镇敬老院", 50, 20),
        ("东山乡敬老院", 10, 0),
    ]
    assert proposal.split() == {"rural": 80, "urban": 20, "private": 80, "public": 20}


@pytest.mark.django_db
def test_enough_stock_meets_every_need(masks, three_short):
    donate(masks, 500)
    assert [row.proposed for row in allocations.propose(masks).rows] == [80, 50, 10]


@pytest.mark.django_db
def test_comms_sees_the_proposal_and_other_roles_are_refused(client, users, masks, three_short):
    donate(masks, 100)
    url = f"/admin/supplies/proposals/{masks.pk}/"
    client.force_login(users[roles.COMMUNICATIONS])
    page = client.get(url).content.decode()
    assert "西河民办养老院" in page and "农村机构 80只" in page and "民办机构 80只" in page
    assert "库存不足：按缺口从大到小分配" in page
    for role in (roles.INSPECTOR, roles.RESPONSIBLE_UNIT, roles.LEADERSHIP, roles.ADMINISTRATOR):
        client.force_login(users[role])
        assert client.get(url).status_code == 403, role
        assert client.post(url).status_code == 403, role
    assert not LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION).exists()


@pytest.mark.django_db
def test_a_shortage_issue_names_its_figures_and_links_comms_to_the_proposal(
    client, users, make_user, masks, three_short
):
    from django.contrib.auth.models import Group

    issue = SupplyShortage.objects.get(institution=three_short[0]).issue
    url = f"/admin/snippets/snippets/issue/edit/{issue.pk}/"
    proposal = f'href="/admin/supplies/proposals/{masks.pk}/"'
    # An inspector sees the figures that raised it, and no link to a page that would refuse them.
    client.force_login(users[roles.INSPECTOR])
    page = client.get(url).content.decode()
    assert f"{TODAY:%Y-%m-%d} {masks} 库存 10，日消耗 30，低于 3 天保障阈值" in page
    assert "尚未分配捐赠物资" in page
    assert proposal not in page
    # A staffer who is also in communications gets the link to the goods item's proposal.
    both = make_user(roles.INSPECTOR, username="inspector-comms")
    both.groups.add(Group.objects.get(name=roles.group_name(roles.COMMUNICATIONS)))
    client.force_login(both)
    assert proposal in client.get(url).content.decode()


@pytest.mark.django_db
def test_confirming_writes_allocations_linked_to_the_issues_once(client, users, masks, three_short):
    donate(masks, 100)
    client.force_login(users[roles.COMMUNICATIONS])
    url = f"/admin/supplies/proposals/{masks.pk}/"
    assert client.post(url).status_code == 302
    entries = list(LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION).order_by("quantity"))
    assert [(e.recipient.name, e.quantity) for e in entries] == [("城关镇敬老院", 20), ("西河民办养老院", 80)]
    for entry in entries:
        shortage = SupplyShortage.objects.get(institution=entry.recipient)
        assert entry.issue == shortage.issue
        assert shortage.issue.number in entry.purpose
        assert (entry.item, entry.specification, entry.unit) == masks.goods_key

    # A second confirmation finds those needs met (or no stock left) and writes nothing more.
    donate(masks, 500, number="WZ-T-002")
    assert [row.proposed for row in allocations.propose(masks).rows] == [30, 10, 0]
    client.post(url)
    assert [row.proposed for row in allocations.propose(masks).rows] == [0, 0, 0]
    response = client.post(url, follow=True)
    assert "没有可分配的捐赠库存或没有待解决的短缺" in response.content.decode()
    assert LedgerEntry.objects.filter(kind=EntryKind.ALLOCATION).count() == 4

    # The issue shows its allocation (the allocations panel of the issue page).
    issue = entries[0].issue
    client.force_login(users[roles.INSPECTOR])
    response = client.get(f"/admin/snippets/snippets/issue/edit/{issue.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert entries[0].number in page


@pytest.mark.django_db
def test_the_days_disclosure_shows_the_confirmed_allocation_and_then_the_day_is_frozen(
    client, users, masks, three_short
):
    ledger_support.ledger_site()
    donate(masks, 100)
    entries = allocations.confirm(masks, users[roles.COMMUNICATIONS])
    page = ledger_services.draft_disclosure(TODAY, user=users[roles.COMMUNICATIONS])
    ledger_support.approve(page, users[roles.LEADERSHIP])
    response = client.get(f"/disclosures/{TODAY.isoformat()}/")
    assert response.status_code == 200
    html = response.content.decode()
    for entry in entries:
        assert entry.number in html and entry.issue.number in html

    # Published: the day is frozen, a further confirmation is refused.
    donate(masks, 100, number="WZ-T-002", day=TODAY + datetime.timedelta(days=1))
    with pytest.raises(allocations.ProposalError, match="已公示冻结"):
        allocations.confirm(masks, users[roles.COMMUNICATIONS], day=TODAY)
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert allocations.confirm(masks, users[roles.COMMUNICATIONS], day=tomorrow)
