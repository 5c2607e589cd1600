"""Builders of ledger workbooks (good and malicious) and fixtures shared by the ledger tests."""

import datetime as dt
import io
import os
import zipfile

import openpyxl

from home.ledger.importers import ALLOCATION_SHEET, CASH_SHEET, GOODS_SHEET

FIXTURE_PHONE = "13912345678"
FIXTURE_ID = "11010519491231002X"
FIXTURE_NAME = "张三丰"


def cash_row(number="XJ001", day="2020-02-03", name=FIXTURE_NAME, amount="1,000.00", **extra):
    row = {
        "收据编号": number,
        "收款日期": day,
        "捐赠人": name,
        "捐赠人类型": extra.pop("donor_type", "个人"),
        "是否匿名": extra.pop("anonymous", "否"),
        "金额（元）": amount,
        "捐赠渠道": extra.pop("channel", "银行转账"),
        "定向用途": extra.pop("purpose", ""),
        "联系电话": extra.pop("phone", FIXTURE_PHONE),
        "证件号码": extra.pop("id_number", FIXTURE_ID),
        "备注": extra.pop("note", ""),
    }
    row.update(extra)
    return row


def goods_row(number="WZ001", day="2020-02-03", name="某某医疗器械有限公司", quantity=1000, **extra):
    row = {
        "收据编号": number,
        "接收日期": day,
        "捐赠人": name,
        "捐赠人类型": extra.pop("donor_type", "单位"),
        "是否匿名": "否",
        "物资类别": "口罩",
        "物资名称": extra.pop("item", "医用防护口罩"),
        "规格型号": extra.pop("specification", "N95"),
        "执行标准": "GB 19083-2010",
        "计量单位": extra.pop("unit", "只"),
        "数量": quantity,
        "包装单位": "箱（500只）",
        "批号": "20200115",
        "有效期至": "2022/1/14",
        "估值（元）": "¥35,000",
        "接收点": "市民政局仓库",
        "定向用途": "",
        "联系电话": "",
        "证件号码": "",
        "备注": "",
    }
    row.update(extra)
    return row


def allocation_row(number="BF001", day="2020-02-03", amount=None, quantity=None, **extra):
    row = {
        "拨付单号": number,
        "拨付日期": day,
        "接收单位": extra.pop("recipient", "城关镇敬老院"),
        "现金金额（元）": amount,
        "物资名称": extra.pop("item", "医用防护口罩" if quantity else None),
        "规格型号": extra.pop("specification", "N95" if quantity else None),
        "计量单位": extra.pop("unit", "只" if quantity else None),
        "数量": quantity,
        "用途": extra.pop("purpose", "一线防护"),
        "审批人": "李四",
        "问题编号": extra.pop("issue_number", None),
    }
    row.update(extra)
    return row


def ledger_workbook(cash=(), goods=(), allocations=(), extra_sheets=None):
    """An xlsx (bytes) with the three ledger sheets holding the given row dicts."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for spec, rows in ((CASH_SHEET, cash), (GOODS_SHEET, goods), (ALLOCATION_SHEET, allocations)):
        sheet = workbook.create_sheet(spec.name)
        headers = spec.headers()
        sheet.append(headers)
        for row in rows:
            sheet.append([row.get(header) for header in headers])
    for title, rows in (extra_sheets or {}).items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def big_cash_workbook(rows, start=1, day="2020-02-03"):
    """A write-only workbook of `rows` cash rows (fast for thousands of rows)."""
    workbook = openpyxl.Workbook(write_only=True)
    cash = workbook.create_sheet(CASH_SHEET.name)
    cash.append(CASH_SHEET.headers())
    for index in range(start, start + rows):
        cash.append([f"XJ{index:07d}", day, f"王{index}", "个人", "否", "100.50", "银行转账", "", "", "", ""])
    for spec in (GOODS_SHEET, ALLOCATION_SHEET):
        workbook.create_sheet(spec.name).append(spec.headers())
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def replace_member(data, name, content):
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename == name:
                if content is not None:
                    target.writestr(name, content)
            else:
                target.writestr(info, source.read(info.filename))
    return out.getvalue()


def xml_bomb(member="xl/worksheets/sheet1.xml"):
    """Billion laughs in one part of the workbook: under 5 KB, a gigabyte once expanded.

    openpyxl reads worksheets through defusedxml's iterparse and the other parts (workbook,
    styles, relationships, content types, properties) through lxml's `fromstring`."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10)
    ]
    data = ledger_workbook()
    original = zipfile.ZipFile(io.BytesIO(data)).read(member).decode()
    root = original.index("<", original.index("?>") + 2) if original.startswith("<?xml") else 0
    root_name = original[root + 1 :].split(None, 1)[0].rstrip(">")
    root_end = original.index(">", root) + 1
    bombed = (
        original[:root]
        + f"<!DOCTYPE {root_name} ["
        + "".join(entities)
        + "]>"
        + original[root:root_end]
        + "&lol9;"
        + original[root_end:]
    )
    return replace_member(data, member, bombed)


def zip_bomb(size=60 * 1024 * 1024):
    """A small xlsx whose first sheet inflates to `size` bytes (ratio far above 100)."""
    data = ledger_workbook()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        with target.open("xl/media/padding.bin", "w") as member:
            chunk = b"\0" * (1024 * 1024)
            for _i in range(size // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def many_members(count=250):
    data = ledger_workbook()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info.filename))
        for index in range(count):
            target.writestr(f"xl/media/image{index}.png", b"x")
    return out.getvalue()


def incompressible(size=3 * 1024 * 1024):
    data = ledger_workbook()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        target.writestr("xl/media/noise.bin", os.urandom(size))
    return out.getvalue()


def sparse_sheet():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = CASH_SHEET.name
    sheet.append(CASH_SHEET.headers())
    sheet["XFD1048576"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ole2_file():
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000


def html_file():
    return b"<html><body><table><tr><td>1</td></tr></table></body></html>"


def truncated_zip():
    data = ledger_workbook(cash=[cash_row()])
    return data[: len(data) // 2]


def without_content_types():
    return replace_member(ledger_workbook(cash=[cash_row()]), "[Content_Types].xml", None)


def empty_workbook():
    workbook = openpyxl.Workbook()
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def as_file(data, name="ledger.xlsx"):
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


D = dt.date


def ledger_site():
    """Root → home page (default site) → /disclosures/ with leadership's approval workflow."""
    from wagtail.models import Page, Site

    from home.ledger import services
    from tests.home.factories import HomePageFactory, publish

    root = Page.get_first_root_node()
    if root is None:
        root = Page.add_root(instance=Page(title="Root", slug="root"))
    home = publish(HomePageFactory(parent=root))
    Site.objects.filter(is_default_site=True).delete()
    Site.objects.create(hostname="localhost", port=80, root_page=home, is_default_site=True)
    return services.ensure_disclosure_index()


def add_cash(
    number, day, amount="100.00", name=FIXTURE_NAME, anonymous=False, donor_type="individual", **extra
):
    from decimal import Decimal

    from home.ledger import services

    return services.record_entry(
        number=number,
        kind="cash",
        entry_date=day,
        amount=Decimal(amount),
        donor={"name": name, "donor_type": donor_type, "anonymous": anonymous},
        private={"phone": FIXTURE_PHONE, "id_number": FIXTURE_ID},
        **extra,
    )


def add_goods(number, day, quantity=1000, item="医用防护口罩", unit="只", **extra):
    from home.ledger import services

    return services.record_entry(
        number=number,
        kind="goods",
        entry_date=day,
        quantity=quantity,
        item=item,
        specification="N95",
        standard="GB 19083-2010",
        unit=unit,
        category="masks",
        donor={"name": "某某医疗器械有限公司", "donor_type": "organisation"},
    )


def add_allocation(number, day, amount=None, quantity=None, item="医用防护口罩", unit="只"):
    from decimal import Decimal

    from home.ledger import services

    fields = {"recipient_name": "城关镇敬老院", "purpose": "一线防护", "approver": "李四"}
    if amount is not None:
        fields["amount"] = Decimal(amount)
    if quantity is not None:
        fields.update(quantity=quantity, item=item, specification="N95", unit=unit)
    return services.record_entry(number=number, kind="allocation", entry_date=day, **fields)


def approve(page, leader):
    """Leadership approves the page's pending moderation task (publishes through the workflow)."""
    page.refresh_from_db()
    state = page.current_workflow_state
    assert state is not None, "page is not in moderation"
    state.current_task_state.task.specific.on_action(state.current_task_state, leader, "approve")
    page.refresh_from_db()
    return page


def published_site(users, day=dt.date(2020, 2, 3)):
    """The public site with one channel and `day`'s disclosure of two cash gifts, approved."""
    from home.ledger import services
    from tests.home import factories
    from workflows import roles

    bank = factories.DonationChannelFactory(name="慈善总会专户")
    home, appeal, channels = factories.build_site([bank])
    services.ensure_disclosure_index()
    add_cash("XJ001", day, "1000.00", name="张三丰")
    add_cash("XJ002", day, "500.00", name="欧阳娜娜")
    approve(services.draft_disclosure(day), users[roles.LEADERSHIP])
    return {"home": home, "appeal": appeal, "channels": channels}
