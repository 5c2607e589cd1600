"""The shortage rule: below the goods item's threshold of days of cover an issue is raised, one per
institution and item while open; it closes itself through the transition service after two days
of recovered cover. The sweep is a constant number of queries."""

import datetime
import logging

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from home.ledger.models import GoodsItem
from snippets import services, stock
from snippets.models import Issue, IssueNumberCounter, StockLine, StockReport, SupplyShortage
from tests.snippets.factories import InstitutionFactory
from tests.snippets.stock_factories import GoodsItemFactory, put_reports
from workflows.choices import Stage
from workflows.models import StageTransition

TODAY = timezone.localdate()
YESTERDAY = TODAY - datetime.timedelta(days=1)
BEFORE = TODAY - datetime.timedelta(days=2)


@pytest.fixture
def masks():
    return GoodsItem.objects.get(name="医用防护口罩")


@pytest.mark.django_db
def test_cover_below_threshold_raises_one_shortage_issue_and_a_rerun_raises_nothing(masks):
    home = InstitutionFactory(name="东山乡敬老院")
    put_reports([home], [masks], TODAY, on_hand=20, daily_use=10)  # 2 days < 3

    assert stock.evaluate_shortages()["raised"] == 1
    assert stock.evaluate_shortages()["raised"] == 0

    issue = Issue.objects.get()
    assert issue.institution == home and issue.category.code == "supply-shortage"
    assert issue.title == "医用防护口罩 N95 折叠式（只）库存不足：可用 2.0 天（阈值 3 天）"
    assert issue.number.startswith(f"ZG-{TODAY.year}-")
    shortage = SupplyShortage.objects.get()
    assert (shortage.issue, shortage.goods, shortage.need) == (issue, masks, 10)


@pytest.mark.django_db
def test_cover_at_the_threshold_raises_nothing_and_the_admins_threshold_decides(masks):
    home = InstitutionFactory()
    put_reports([home], [masks], TODAY, on_hand=30, daily_use=10)  # exactly 3 days
    assert stock.evaluate_shortages()["raised"] == 0
    masks.shortage_threshold_days = 5
    masks.save()
    assert stock.evaluate_shortages()["raised"] == 1


@pytest.mark.django_db
def test_a_shortage_closes_itself_after_two_days_of_recovered_cover(masks, caplog):
    home = InstitutionFactory()
    put_reports([home], [masks], BEFORE, on_hand=10, daily_use=10)
    stock.evaluate_shortages(today=BEFORE)
    issue = Issue.objects.get()

    put_reports([home], [masks], YESTERDAY, on_hand=100, daily_use=10)
    assert stock.evaluate_shortages(today=YESTERDAY)["resolved"] == 0  # one good day is not enough
    put_reports([home], [masks], TODAY, on_hand=40, daily_use=10)
    with caplog.at_level(logging.INFO, logger="snippets.stock"):
        assert stock.evaluate_shortages(today=TODAY)["resolved"] == 1
    assert stock.evaluate_shortages(today=TODAY)["resolved"] == 0

    issue.refresh_from_db()
    assert issue.stage == Stage.CLOSED
    move = StageTransition.objects.get(issue=issue)
    assert (move.move, move.actor, move.from_stage) == ("resolve", None, Stage.REPORTED)
    assert "可用 4.0 天" in move.note and "可用 10.0 天" in move.note
    assert SupplyShortage.objects.get().closed_at is not None
    assert f"issue {issue.pk} resolved by the system" in caplog.text


@pytest.mark.django_db
def test_a_dip_between_good_days_keeps_the_shortage_open(masks):
    home = InstitutionFactory()
    put_reports([home], [masks], BEFORE, on_hand=10, daily_use=10)
    stock.evaluate_shortages(today=BEFORE)
    put_reports([home], [masks], YESTERDAY, on_hand=100, daily_use=10)
    put_reports([home], [masks], TODAY, on_hand=20, daily_use=10)
    assert stock.evaluate_shortages(today=TODAY) == {"raised": 0, "resolved": 0, "ended": 0}
    assert Issue.objects.get().stage == Stage.REPORTED


@pytest.mark.django_db
def test_an_assigned_shortage_issue_is_resolved_from_its_own_stage(masks):
    home = InstitutionFactory()
    put_reports([home], [masks], BEFORE, on_hand=10, daily_use=10)
    stock.evaluate_shortages(today=BEFORE)
    Issue.objects.update(stage=Stage.IN_PROGRESS, stage_version=2)
    put_reports([home], [masks], YESTERDAY, on_hand=100, daily_use=10)
    put_reports([home], [masks], TODAY, on_hand=100, daily_use=10)
    assert stock.evaluate_shortages(today=TODAY)["resolved"] == 1
    assert StageTransition.objects.get().from_stage == Stage.IN_PROGRESS


@pytest.mark.django_db
def test_a_shortage_whose_issue_a_person_closed_ends_and_a_new_one_may_be_raised(masks):
    home = InstitutionFactory()
    put_reports([home], [masks], YESTERDAY, on_hand=10, daily_use=10)
    stock.evaluate_shortages(today=YESTERDAY)
    Issue.objects.update(stage=Stage.CLOSED)
    put_reports([home], [masks], TODAY, on_hand=10, daily_use=10)
    assert stock.evaluate_shortages(today=TODAY) == {"raised": 0, "resolved": 0, "ended": 1}
    assert stock.evaluate_shortages(today=TODAY)["raised"] == 1
    assert SupplyShortage.objects.filter(closed_at__isnull=True).count() == 1
    assert Issue.objects.count() == 2


@pytest.mark.django_db
def test_a_batch_meeting_an_open_shortage_raises_each_other_pair_exactly_once(masks):
    """A concurrent run raised one pair first: the batch rolls back, each pair is retried alone."""
    first, second = InstitutionFactory(), InstitutionFactory()
    put_reports([first, second], [masks], TODAY, on_hand=10, daily_use=10)
    candidates = [
        {
            "institution_id": home.pk,
            "goods": masks,
            "day": TODAY,
            "on_hand": 10,
            "daily_use": 10,
            "threshold": 3,
        }
        for home in (first, second)
    ]
    services.raise_supply_shortages(candidates[:1])
    raised = services.raise_supply_shortages(candidates)
    assert [s.institution_id for s in raised] == [second.pk]
    assert SupplyShortage.objects.filter(closed_at__isnull=True).count() == 2
    assert Issue.objects.count() == 2


def _sweep_queries(institutions, goods):
    """Queries of a sweep over every institution x item where the same three pairs are short,
    and of the next (idle) sweep. Raising more issues adds INSERT batches only where the database
    limits parameters per statement (SQLite: 999), never a query per institution or item."""
    put_reports(institutions, goods, TODAY, on_hand=100, daily_use=10)
    short = StockLine.objects.filter(report__institution__in=institutions[:3], goods=goods[0])
    assert short.update(on_hand=10) == 3
    with CaptureQueriesContext(connection) as raising:
        assert stock.evaluate_shortages()["raised"] == 3
    with CaptureQueriesContext(connection) as idle:
        assert stock.evaluate_shortages()["raised"] == 0
    return len(raising.captured_queries), len(idle.captured_queries)


@pytest.mark.django_db
def test_the_sweep_is_a_constant_number_of_queries_at_any_size(django_assert_num_queries):
    IssueNumberCounter.objects.get_or_create(year=TODAY.year)  # the year's first number costs 3 more
    small = _sweep_queries(InstitutionFactory.create_batch(3), GoodsItemFactory.create_batch(2))
    StockReport.objects.all().delete()
    large = _sweep_queries(InstitutionFactory.create_batch(100), GoodsItemFactory.create_batch(20))
    assert small == large
    with django_assert_num_queries(small[1]):
        stock.evaluate_shortages()


@pytest.mark.django_db
def test_an_administrator_edits_the_threshold_in_the_admin_and_the_rule_follows_it(client, users, masks):
    home = InstitutionFactory()
    put_reports([home], [masks], TODAY, on_hand=40, daily_use=10)  # 4 days
    assert stock.evaluate_shortages()["raised"] == 0
    client.force_login(users["administrator"])
    url = f"/admin/snippets/ledger/goodsitem/edit/{masks.pk}/"
    form = client.get(url)
    assert form.status_code == 200 and "短缺阈值（可用天数）" in form.content.decode()
    data = {
        "name": masks.name,
        "category": masks.category,
        "specification": masks.specification,
        "standard": masks.standard,
        "unit": masks.unit,
        "shortage_threshold_days": "5",
        "active": "on",
        "sort_order": "0",
    }
    assert client.post(url, data).status_code == 302
    assert GoodsItem.objects.get(pk=masks.pk).shortage_threshold_days == 5
    assert stock.evaluate_shortages()["raised"] == 1
    # Zero days is refused by the form, naming the field.
    response = client.post(url, {**data, "shortage_threshold_days": "0"})
    assert response.status_code == 200
    assert GoodsItem.objects.get(pk=masks.pk).shortage_threshold_days == 5
    # Other roles cannot change it.
    client.force_login(users["communications"])
    client.post(url, {**data, "shortage_threshold_days": "9"})
    assert GoodsItem.objects.get(pk=masks.pk).shortage_threshold_days == 5
