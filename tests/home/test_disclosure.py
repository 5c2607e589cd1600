"""Daily disclosures: drafting, balance check, publish and freeze, digest chain, verification,
corrections on both days, donor anonymity after publication (items 21, 27, 38)."""

import datetime as dt
import io
from decimal import Decimal

import pytest

from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction

from wagtail.models import ModelLogEntry, PageLogEntry

from home.ledger import services
from home.ledger.guard import guard_bypassed
from home.ledger.models import DisclosurePage, DisclosureRecord, LedgerEntry, LedgerSettings
from home.totals import public_totals
from tests.home import ledger_support as files

pytestmark = pytest.mark.django_db

D1 = dt.date(2020, 2, 3)
D2 = dt.date(2020, 2, 4)
D3 = dt.date(2020, 2, 5)


@pytest.fixture
def site(db):
    return files.ledger_site()


def publish_day(day, leader, **kwargs):
    page = services.draft_disclosure(day, **kwargs)
    return files.approve(page, leader)


def test_drafting_twice_updates_one_page_and_submits_it_to_leadership(site, users):
    files.add_cash("XJ001", D1)
    first = services.draft_disclosure(D1, user=users["communications"])
    second = services.draft_disclosure(D1, user=users["communications"])
    assert first.pk == second.pk
    assert DisclosurePage.objects.count() == 1
    page = DisclosurePage.objects.get()
    assert page.url_path.endswith("/disclosures/2020-02-03/")
    assert not page.live
    assert page.current_workflow_state is not None
    task = page.current_workflow_state.current_task_state.task.specific
    assert [group.name for group in task.groups.all()] == ["领导 Leadership"]


def test_leadership_approval_publishes_freezes_and_stores_totals(site, users):
    files.add_cash("XJ001", D1, "1000.00")
    files.add_cash("XJ002", D1, "250.50")
    files.add_goods("WZ001", D1, quantity=1000)
    files.add_allocation("BF001", D1, amount="200.00")
    files.add_allocation("BF002", D1, quantity=300)
    page = publish_day(D1, users["leadership"])
    assert page.live
    record = DisclosureRecord.objects.get()
    assert (record.version, record.sequence, record.previous_digest) == (1, 1, "0" * 64)
    assert record.totals["cash"] == {
        "opening": "0.00",
        "received": "1250.50",
        "allocated": "200.00",
        "closing": "1050.50",
    }
    assert record.totals["goods"] == [
        {
            "item": "医用防护口罩",
            "specification": "N95",
            "unit": "只",
            "opening": 0,
            "received": 1000,
            "allocated": 300,
            "closing": 700,
        }
    ]
    assert record.cumulative_cash_received == Decimal("1250.50")
    assert record.published_by == users["leadership"]
    assert not record.bypassed_moderation
    assert LedgerEntry.objects.filter(frozen=False).count() == 0
    log = PageLogEntry.objects.get(action="ledger.disclosure.publish")
    assert log.user == users["leadership"] and log.data["digest"] == record.digest
    totals = public_totals()
    assert totals["cash_total"] == Decimal("1250.50") and totals["goods_batches"] == 1
    assert totals["latest_disclosure"].pk == page.pk


def test_a_day_that_does_not_balance_cannot_be_published_and_says_where(site, users):
    files.add_cash("XJ001", D1, "100.00")
    files.add_cash("XJ002", D2, "50.00")
    page = services.draft_disclosure(D2)
    with pytest.raises(services.DisclosureNotBalanced) as info:
        page.get_latest_revision().publish(user=users["leadership"])
    assert "2020-02-03" in info.value.messages[0]
    assert "100.00" in info.value.messages[0]
    assert not DisclosureRecord.objects.exists()
    assert not LedgerEntry.objects.filter(frozen=True).exists()


def test_approving_an_unbalanced_day_from_the_workflow_shows_the_difference(site, users, client):
    from django.urls import reverse

    from tests.conftest import TEST_PASSWORD

    files.add_cash("XJ001", D1, "100.00")
    files.add_cash("XJ002", D2, "50.00")
    page = services.draft_disclosure(D2)
    task_state = page.current_workflow_state.current_task_state
    client.login(username=users["leadership"].username, password=TEST_PASSWORD)
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk])
    response = client.post(url, follow=True)
    html = response.content.decode()
    assert 'data-testid="refusal"' in html and "2020-02-03" in html
    page.refresh_from_db()
    assert not page.live and page.current_workflow_state is not None
    assert not DisclosureRecord.objects.exists()


def test_a_negative_cash_balance_is_named(site, users):
    files.add_cash("XJ001", D1, "100.00")
    files.add_allocation("BF001", D1, amount="150.00")
    result = services.check_day(D1)
    assert not result.ok
    assert "现金期末余额为负：-50.00" in result.message()


def test_the_admin_publish_button_shows_the_difference_instead_of_publishing(site, users, client):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data

    from tests.conftest import TEST_PASSWORD

    files.add_cash("XJ001", D1, "100.00")
    files.add_cash("XJ002", D2, "50.00")
    page = services.draft_disclosure(D2, submit=False)
    client.login(username=users["leadership"].username, password=TEST_PASSWORD)
    data = nested_form_data(
        {
            "title": page.title,
            "slug": page.slug,
            "disclosure_date": "2020-02-04",
            "correction_note": "",
            "comments": inline_formset([]),
            "action-publish": "action-publish",
        }
    )
    response = client.post(f"/admin/pages/{page.pk}/edit/", data, follow=True)
    assert response.status_code == 200
    assert "本日账目不平衡" in response.content.decode()
    page.refresh_from_db()
    assert not page.live
    assert not DisclosureRecord.objects.exists()


def test_consecutive_days_form_a_chain_that_verifies(site, users):
    files.add_cash("XJ001", D1, "100.00")
    publish_day(D1, users["leadership"])
    files.add_cash("XJ002", D2, "20.00")
    publish_day(D2, users["leadership"])
    first, second = DisclosureRecord.objects.order_by("sequence")
    assert second.previous_digest == first.digest
    assert second.totals["cash"]["opening"] == "100.00"
    assert second.cumulative["cash_received"] == "120.00"
    assert services.verify_chain() == []
    out = io.StringIO()
    call_command("verify_disclosures", stdout=out)
    assert "2 published disclosures verified" in out.getvalue()


def test_entries_on_a_published_day_are_refused(site, users):
    files.add_cash("XJ001", D1)
    publish_day(D1, users["leadership"])
    with pytest.raises(services.LedgerError):
        files.add_cash("XJ009", D1)


def test_tampering_with_a_ledger_row_makes_verification_fail_naming_the_row(site, users):
    files.add_cash("XJ001", D1, "100.00")
    files.add_cash("XJ002", D1, "20.00")
    publish_day(D1, users["leadership"])
    # What someone with database access could do after dropping the triggers.
    with guard_bypassed(connection, "test tamper"), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_ledgerentry SET amount = 2000 WHERE number = 'XJ002'")
    problems = services.verify_chain()
    assert "XJ002" in problems[0]
    with pytest.raises(CommandError) as info:
        call_command("verify_disclosures", stdout=io.StringIO(), stderr=io.StringIO())
    assert "XJ002" in str(info.value)


def test_tampering_with_a_stored_disclosure_makes_verification_fail(site, users):
    files.add_cash("XJ001", D1, "100.00")
    publish_day(D1, users["leadership"])
    files.add_cash("XJ002", D2, "10.00")
    publish_day(D2, users["leadership"])
    with guard_bypassed(connection, "test tamper"):
        record = DisclosureRecord.objects.get(disclosure_date=D1)
        totals = record.totals
        totals["cash"]["received"] = "99.00"
        DisclosureRecord.objects.filter(pk=record.pk).update(totals=totals)
    problems = services.verify_chain()
    assert problems and "2020-02-03 v1" in problems[0]


def test_one_disclosure_per_date_and_version_even_when_drafts_repeat(site, users):
    files.add_cash("XJ001", D1)
    services.draft_disclosure(D1)
    services.draft_disclosure(D1, submit=False)
    assert DisclosurePage.objects.filter(disclosure_date=D1).count() == 1
    publish_day(D1, users["leadership"])
    record = DisclosureRecord.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        DisclosureRecord.objects.create(
            disclosure_date=D1,
            version=1,
            sequence=99,
            published_at=record.published_at,
            previous_digest=record.digest,
            digest="f" * 64,
            totals=record.totals,
            cumulative=record.cumulative,
            cumulative_cash_received=0,
            cumulative_cash_allocated=0,
            cumulative_goods_batches=0,
            row_hashes={},
        )


def test_day_boundaries_are_asia_shanghai(site, users):
    just_after_midnight = dt.datetime(2020, 2, 3, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    entry = services.record_entry(
        number="XJ100",
        kind="cash",
        received_at=just_after_midnight,
        amount=Decimal("66.00"),
        donor={"name": "王五", "donor_type": "individual"},
    )
    assert entry.entry_date == D1
    publish_day(D1, users["leadership"])
    assert DisclosureRecord.objects.get().totals["cash"]["received"] == "66.00"


def test_a_correction_shows_on_both_days_and_republishing_makes_version_two(site, users, client):
    original = files.add_cash("XJ001", D1, "1000.00")
    files.add_cash("XJ002", D1, "10.00")
    publish_day(D1, users["leadership"])
    services.correct_entry(
        original, number="GZ001", entry_date=D2, reason="金额录入错误，应为 100 元", amount=Decimal("-900.00")
    )
    publish_day(D2, users["leadership"])
    assert DisclosureRecord.objects.get(disclosure_date=D2).totals["cash"]["received"] == "-900.00"
    publish_day(D1, users["leadership"], note="XJ001 金额更正为 100 元（见 2020-02-04 GZ001）")
    v1, v2 = DisclosureRecord.objects.filter(disclosure_date=D1).order_by("version")
    assert (v1.version, v2.version) == (1, 2)
    assert v2.reason.startswith("XJ001 金额更正")
    assert list(v2.row_hashes["corrections"]) == ["GZ001"]
    assert v2.totals["cash"]["opening"] == "0.00"
    assert services.verify_chain() == []
    publish_day(D1, users["leadership"])  # a third publication without a new reason is not approved
    assert DisclosureRecord.objects.filter(disclosure_date=D1).count() == 2
    assert services.publish_refusal(
        DisclosurePage.objects.get(disclosure_date=D1), DisclosurePage.objects.get(disclosure_date=D1)
    )
    day_one = client.get("/disclosures/2020-02-03/").content.decode()
    assert "更正说明" in day_one and "已更正" in day_one and "/disclosures/2020-02-04/" in day_one
    old = client.get("/disclosures/2020-02-03/v1/")
    assert old.status_code == 200
    assert 'data-testid="corrected-notice"' in old.content.decode()
    day_two = client.get("/disclosures/2020-02-04/").content.decode()
    assert "GZ001" in day_two and "更正 XJ001" in day_two and "金额录入错误" in day_two


def test_a_donor_who_asks_for_anonymity_after_publication(site, users, client):
    entry = files.add_cash("XJ001", D1, "500.00", name="欧阳娜娜")
    publish_day(D1, users["leadership"])
    assert "欧阳**" in client.get("/disclosures/2020-02-03/").content.decode()
    services.anonymise_donor(entry.donor, user=users["communications"])
    html = client.get("/disclosures/2020-02-03/v1/").content.decode()
    assert "欧阳" not in html and "爱心人士" in html
    entry.refresh_from_db()
    assert entry.amount == Decimal("500.00")
    assert not hasattr(entry.donor, "private") or entry.donor.private is None
    assert services.verify_chain() == []
    log = ModelLogEntry.objects.get(action="ledger.donor.anonymise")
    assert log.user == users["communications"]


def test_the_command_publishes_at_once_and_records_the_bypass(site, users):
    files.add_cash("XJ001", D1)
    out = io.StringIO()
    call_command("draft_disclosure", "--date", "2020-02-03", "--publish", stdout=out)
    record = DisclosureRecord.objects.get()
    assert record.bypassed_moderation
    assert PageLogEntry.objects.get(action="ledger.disclosure.publish").data["bypassed_moderation"] is True


def test_the_schedule_drafts_yesterday_after_the_configured_hour_once(site, users):
    files.add_cash("XJ001", D1)
    settings_row = LedgerSettings.load()
    settings_row.draft_hour = 8
    settings_row.save()
    early = dt.datetime(2020, 2, 4, 7, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert services.scheduled_draft(early) == {"drafted": None}
    later = early + dt.timedelta(hours=2)
    assert services.scheduled_draft(later)["drafted"] == "2020-02-03"
    assert services.scheduled_draft(later) == {"drafted": None, "in_moderation": "2020-02-03"}
    assert DisclosurePage.objects.count() == 1


def test_auto_publish_setting_publishes_without_moderation(site, users):
    files.add_cash("XJ001", D1)
    settings_row = LedgerSettings.load()
    settings_row.auto_publish = True
    settings_row.save()
    services.scheduled_draft(dt.datetime(2020, 2, 4, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert DisclosureRecord.objects.get().bypassed_moderation


def test_late_records_and_unallocated_designated_donations_are_listed(site, users):
    files.add_cash("XJ001", D1, purpose="城关镇敬老院防护物资")
    items = services.late_items(today=D3 + dt.timedelta(days=2))
    assert [e.number for e in items["undisclosed"]] == ["XJ001"]
    assert [e.number for e in items["unallocated"]] == ["XJ001"]
