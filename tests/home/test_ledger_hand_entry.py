"""Hand entry of ledger rows in the admin goes through the import's code path: the same parsers,
validation, receipt-number uniqueness, masking inputs, stock and frozen-day checks."""

import datetime as dt

import pytest

from home.ledger import importers
from home.ledger.models import EntryKind, ImportBatch, ImportStatus, LedgerEntry
from tests.home import ledger_support as files
from workflows import roles

pytestmark = pytest.mark.django_db

D1 = dt.date(2020, 2, 3)
D2 = dt.date(2020, 2, 4)


def cash(**extra):
    data = {
        "number": "xj 0001",
        "entry_date": "2020年2月3日",
        "donor_name": "欧阳晓明",
        "donor_type": "个人",
        "anonymous": "否",
        "amount": "¥1,000.50",
        "channel_name": "银行转账",
        "phone": "13800000000",
    }
    data.update(extra)
    return data


def post(client, kind, data):
    return client.post(f"/admin/ledger/entry/{kind}/", data)


def test_comms_enters_a_cash_gift_by_hand_parsed_and_masked_like_an_imported_one(client, users):
    client.force_login(users[roles.COMMUNICATIONS])
    assert client.get("/admin/ledger/entry/cash/").status_code == 200
    response = post(client, "cash", cash())
    assert response.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.number, entry.kind, entry.entry_date, str(entry.amount)) == (
        "XJ0001",
        "cash",
        D1,
        "1000.50",
    )
    assert entry.public_donor_name == "欧阳**"
    assert entry.donor.private.phone == "13800000000"
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.uploaded_by, batch.cash_count) == (
        ImportStatus.DONE,
        users[roles.COMMUNICATIONS],
        1,
    )


def test_a_receipt_number_already_in_the_ledger_is_refused_naming_the_field(client, users):
    client.force_login(users[roles.COMMUNICATIONS])
    post(client, "cash", cash())
    for data, reason in (
        (cash(), "单据编号已存在于台账中"),
        (cash(amount="5"), "单据编号已存在于台账中，但内容不同"),
    ):
        response = post(client, "cash", data)
        assert response.status_code == 200
        assert reason in " ".join(response.context["form"].errors["number"])
    assert LedgerEntry.objects.count() == 1


def test_bad_cells_are_refused_by_column_and_nothing_is_written(client, users):
    client.force_login(users[roles.COMMUNICATIONS])
    response = post(client, "cash", cash(amount="一千", entry_date="", donor_type="外星人"))
    errors = response.context["form"].errors
    assert set(errors) >= {"amount", "entry_date", "donor_type"}
    assert "不能为空" in " ".join(errors["entry_date"])
    assert not LedgerEntry.objects.exists()
    assert ImportBatch.objects.get().status == ImportStatus.FAILED


def test_an_allocation_beyond_stock_is_refused(client, users):
    files.add_goods("WZ001", D1, quantity=100)
    client.force_login(users[roles.COMMUNICATIONS])
    data = {
        "number": "BF001",
        "entry_date": "2020-02-03",
        "recipient_name": "城关镇敬老院",
        "item": "医用防护口罩",
        "specification": "N95",
        "unit": "只",
        "quantity": "500",
        "purpose": "一线防护",
        "approver": "李四",
    }
    response = post(client, "allocation", data)
    assert "库存不足" in " ".join(response.context["form"].errors["quantity"])
    data["quantity"] = "60"
    assert post(client, "allocation", data).status_code == 302
    assert LedgerEntry.objects.get(number="BF001").kind == EntryKind.ALLOCATION


def test_a_published_day_is_frozen_and_the_form_offers_a_correction_on_a_later_day(client, users):
    files.ledger_site()
    files.add_cash("XJ000", D1)
    from home.ledger import services

    files.approve(services.draft_disclosure(D1, user=users[roles.COMMUNICATIONS]), users[roles.LEADERSHIP])
    client.force_login(users[roles.COMMUNICATIONS])
    response = post(client, "cash", cash())
    message = " ".join(response.context["form"].errors["entry_date"])
    assert "2020-02-03 及之前的日期已公示冻结" in message and "之后的日期录入更正" in message
    assert not LedgerEntry.objects.filter(number="XJ0001").exists()
    assert post(client, "cash", cash(entry_date="2020-02-04")).status_code == 302


@pytest.mark.parametrize("role", [roles.INSPECTOR, roles.RESPONSIBLE_UNIT, roles.LEADERSHIP])
def test_only_comms_enter_ledger_rows(client, users, role):
    client.force_login(users[role])
    assert client.get("/admin/ledger/entry/cash/").status_code in (302, 403)
    post(client, "cash", cash())
    assert not LedgerEntry.objects.exists()


def test_the_hand_entry_and_the_import_share_the_parsers():
    report = importers.ErrorReport()
    values = importers.parse_row(EntryKind.CASH, cash(), report)
    assert not report and values["amount"] == importers.parse_amount("1,000.50")
    assert values["number"] == "XJ0001" and values["entry_date"] == D1


def test_a_designated_gift_is_allocated_once_an_allocation_links_it_not_when_a_purpose_names_it(
    client, users
):
    from home.ledger import services

    files.add_cash("XJ001", D1, purpose="定向用于城关镇敬老院防护物资")
    files.add_cash("XJ002", D1)  # not designated
    late = dt.date(2020, 2, 9)
    assert [e.number for e in services.late_items(today=late)["unallocated"]] == ["XJ001"]

    client.force_login(users[roles.COMMUNICATIONS])
    allocation = {
        "number": "BF001",
        "entry_date": "2020-02-04",
        "recipient_name": "城关镇敬老院",
        "amount": "500",
        "purpose": "按 XJ001 定向用途拨付",  # naming it in the text is not the link
        "approver": "李四",
    }
    assert post(client, "allocation", allocation).status_code == 302
    assert [e.number for e in services.late_items(today=late)["unallocated"]] == ["XJ001"]

    response = post(client, "allocation", {**allocation, "number": "BF002", "designated_number": "XJ002"})
    assert "未找到该定向捐赠" in " ".join(response.context["form"].errors["designated_number"])
    response = post(client, "allocation", {**allocation, "number": "BF003", "designated_number": "xj001"})
    assert response.status_code == 302
    entry = LedgerEntry.objects.get(number="BF003")
    assert entry.designated_donation.number == "XJ001"
    assert services.late_items(today=late)["unallocated"] == []
