"""Demo ledger for `seed_demo`: two weeks of donations and allocations, each day published.

Idempotent: does nothing once a disclosure exists. Runs after the pages (it needs the home page)
and after the users (the demo leader approves each day through the moderation workflow).
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from home.ledger import services
from home.ledger.models import DisclosureRecord, EntryKind
from workflows import roles

DAYS = 14
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
]
COMPANIES = [
    "市第一建筑工程有限公司",
    "城东农商银行",
    "恒信医疗器械有限公司",
    "市餐饮行业协会",
    "新华书店城关分店",
    "绿源食品有限公司",
]
CHANNELS = ["银行转账", "微信支付", "现场捐赠"]
GOODS = [
    ("masks", "医用防护口罩", "N95 折叠式", "GB 19083-2010", "只", "箱（500只）", Decimal("3.50")),
    ("masks", "一次性医用口罩", "17.5×9.5cm", "YY/T 0969-2013", "只", "盒（50只）", Decimal("0.80")),
    ("suits", "医用一次性防护服", "175/XL", "GB 19082-2009", "套", "箱（20套）", Decimal("120.00")),
    ("disinfectant", "84 消毒液", "500ml", "GB/T 36758-2018", "瓶", "箱（24瓶）", Decimal("6.00")),
    ("thermometers", "红外额温枪", "非接触式", "GB/T 21417.1-2008", "支", "箱（40支）", Decimal("150.00")),
    ("food", "方便面", "桶装 100g", "", "桶", "箱（12桶）", Decimal("4.50")),
]
RECIPIENTS_FALLBACK = [
    "城关镇敬老院",
    "东山乡敬老院",
    "市社会福利院",
    "市殡仪馆",
    "西河镇民政办",
    "南湖社区养老服务中心",
]


def _recipients():
    try:
        from snippets.models import Institution

        names = list(Institution.objects.order_by("name").values_list("name", flat=True)[:12])
    except Exception:  # noqa: BLE001 - the inspections app's data is optional here
        names = []
    return names or RECIPIENTS_FALLBACK


def _leader():
    user_model = get_user_model()
    return user_model.objects.filter(groups__name=roles.group_name(roles.LEADERSHIP), is_active=True).first()


def seed_ledger(stdout):
    if DisclosureRecord.objects.exists():
        stdout.write("  ledger already seeded")
        return
    rng = random.Random(2020)  # noqa: S311 - demo data
    today = timezone.localdate()
    first = today - dt.timedelta(days=DAYS)
    recipients = _recipients()
    leader = _leader()
    stock = {}
    cash_balance = Decimal("0.00")
    counter = 0
    corrected = None
    for offset in range(DAYS):
        day = first + dt.timedelta(days=offset)
        stamp = day.strftime("%Y%m%d")
        for n in range(rng.randint(6, 14)):
            counter += 1
            kind = rng.random()
            if kind < 0.2:
                donor = {"name": rng.choice(COMPANIES), "donor_type": "organisation"}
                amount = Decimal(rng.choice([5000, 10000, 20000, 50000]))
            else:
                name = rng.choice(SURNAMES) + rng.choice(GIVEN)
                donor = {"name": name, "donor_type": "individual", "anonymous": rng.random() < 0.2}
                amount = Decimal(rng.choice([50, 100, 200, 500, 1000])) + Decimal(
                    rng.choice([0, 0, 0.5, 0.66])
                )
            purpose = rng.choice(["", "", "", "定向用于敬老院防护物资"])
            entry = services.record_entry(
                number=f"XJ{stamp}{n + 1:03d}",
                kind=EntryKind.CASH,
                entry_date=day,
                amount=amount.quantize(Decimal("0.01")),
                channel_name=rng.choice(CHANNELS),
                purpose=purpose,
                donor=donor,
                private={"phone": f"139{rng.randint(10000000, 99999999)}"},
            )
            cash_balance += entry.amount
            if corrected is None and offset == 2:
                corrected = entry
        for n in range(rng.randint(1, 3)):
            category, item, spec, standard, unit, package, price = rng.choice(GOODS)
            quantity = rng.choice([200, 500, 1000, 2000])
            services.record_entry(
                number=f"WZ{stamp}{n + 1:03d}",
                kind=EntryKind.GOODS,
                entry_date=day,
                category=category,
                item=item,
                specification=spec,
                standard=standard,
                unit=unit,
                quantity=quantity,
                package_unit=package,
                batch_number=f"{day.year}{rng.randint(100, 999)}",
                expiry_date=day + dt.timedelta(days=730),
                estimated_value=price * quantity,
                receiving_point="市民政局物资仓库",
                donor={"name": rng.choice(COMPANIES), "donor_type": "organisation"},
            )
            key = (item, spec, unit)
            stock[key] = stock.get(key, 0) + quantity
        for n in range(rng.randint(1, 3)):
            fields = {
                "number": f"BF{stamp}{n + 1:03d}",
                "kind": EntryKind.ALLOCATION,
                "entry_date": day,
                "recipient_name": rng.choice(recipients),
                "approver": "局长 陈刚",
            }
            available = [(key, qty) for key, qty in stock.items() if qty >= 100]
            if available and rng.random() < 0.6:
                (item, spec, unit), qty = rng.choice(available)
                quantity = min(qty, rng.choice([100, 200, 500]))
                fields.update(item=item, specification=spec, unit=unit, quantity=quantity, purpose="一线防护")
                stock[(item, spec, unit)] -= quantity
            elif cash_balance >= 1000:
                amount = Decimal(rng.choice([1000, 2000, 5000]))
                amount = min(amount, cash_balance).quantize(Decimal("0.01"))
                fields.update(amount=amount, purpose="采购防护物资")
                cash_balance -= amount
            else:
                continue
            services.record_entry(**fields)
        if offset == 9 and corrected is not None:
            services.correct_entry(
                corrected,
                number=f"GZ{stamp}001",
                entry_date=day,
                reason="捐赠人来电核对：到账金额少录 0.50 元",
                amount=Decimal("0.50"),
            )
        _publish(day, leader)
        if offset == 9 and corrected is not None:
            _publish(corrected.entry_date, leader, note=f"{corrected.number} 金额更正，见 {day} 更正记录")
    stdout.write(f"  {DAYS} days of ledger published, {counter} cash donations")


def _publish(day, leader, note=""):
    page = services.draft_disclosure(
        day, user=None, submit=leader is not None, publish=leader is None, note=note
    )
    if leader is None:
        return
    page.refresh_from_db()
    state = page.current_workflow_state
    if state is None:  # already in moderation from an earlier run: start it
        page.get_workflow().start(page, None)
        state = page.current_workflow_state
    state.current_task_state.task.specific.on_action(state.current_task_state, leader, "approve")
