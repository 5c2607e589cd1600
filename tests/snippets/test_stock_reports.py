"""Daily stock reports (物资日报): a unit files for its own institutions only, one report per
institution and day with every filing kept, bad input refused by field with nothing written."""

import datetime
import threading

import pytest

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from home.ledger.models import GoodsItem
from snippets import stock
from snippets.models import StockLine, StockReport, StockReportRevision
from tests.snippets.factories import InstitutionFactory
from workflows import roles

FORM = "/admin/supplies/report/"
LIST = "/admin/supplies/"


@pytest.fixture
def home(users):
    institution = InstitutionFactory(name="东山乡敬老院", staff=8, residents=40)
    institution.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    return institution


@pytest.fixture
def masks():
    return GoodsItem.objects.get(name="医用防护口罩")


@pytest.fixture
def suits():
    return GoodsItem.objects.get(name="医用一次性防护服")


def post_data(institution, day=None, **figures):
    data = {
        "institution": institution.pk,
        "day": (day or timezone.localdate()).isoformat(),
        "staff_count": "8",
        "residents_count": "40",
    }
    data.update(figures)
    return data


def field(goods, name):
    return stock.line_field(goods.pk, name)


@pytest.mark.django_db
def test_a_unit_files_todays_report_and_sees_days_of_cover(client, users, home, masks, suits):
    InstitutionFactory(name="西河镇敬老院")
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    page = client.get(FORM)
    assert page.status_code == 200
    assert "东山乡敬老院" in page.content.decode()
    assert "西河镇敬老院" not in page.content.decode()  # only its own institutions to choose from
    assert "GB 19083-2010" in page.content.decode()  # the product standard tells N95 from KN95

    data = post_data(home, **{field(masks, "on_hand"): "300", field(masks, "daily_use"): "60"})
    data[field(suits, "on_hand")] = "12"
    data[field(suits, "daily_use")] = "4"
    response = client.post(FORM, data)
    assert response.status_code == 302

    report = StockReport.objects.get(institution=home, day=timezone.localdate())
    assert (report.staff_count, report.residents_count, report.revision) == (8, 40, 1)
    assert report.reported_by == users[roles.RESPONSIBLE_UNIT]
    covers = {line.goods.name: line.cover_days for line in report.lines.select_related("goods")}
    assert covers == {"医用防护口罩": 5.0, "医用一次性防护服": 3.0}
    page = client.get(response["Location"]).content.decode()
    assert "可用 5.0 天" in page and "可用 3.0 天" in page


@pytest.mark.django_db
def test_a_second_filing_the_same_day_updates_the_report_and_keeps_both_in_history(
    client, users, home, masks
):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    client.post(FORM, post_data(home, **{field(masks, "on_hand"): "300", field(masks, "daily_use"): "60"}))
    client.post(FORM, post_data(home, **{field(masks, "on_hand"): "90", field(masks, "daily_use"): "60"}))

    report = StockReport.objects.get(institution=home)
    assert report.revision == 2
    assert list(report.lines.values_list("on_hand", flat=True)) == [90]
    history = [
        rev.content["lines"][0]["on_hand"] for rev in StockReportRevision.objects.filter(report=report)
    ]
    assert history == [300, 90]


@pytest.mark.django_db
def test_a_unit_filing_for_another_institution_gets_403_and_nothing_is_written(client, users, home, masks):
    other = InstitutionFactory(name="西河镇敬老院")
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    assert client.get(FORM, {"institution": other.pk}).status_code == 403
    data = post_data(other, **{field(masks, "on_hand"): "300", field(masks, "daily_use"): "60"})
    assert client.post(FORM, data).status_code == 403
    assert not StockReport.objects.exists()
    # The service refuses too, whoever calls it.
    with pytest.raises(PermissionDenied):
        stock.file_stock_report(
            other, timezone.localdate(), 1, 1, [(masks.pk, 1, 1)], users[roles.RESPONSIBLE_UNIT]
        )
    assert not StockReport.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role", [roles.COMMUNICATIONS, roles.INSPECTOR, roles.LEADERSHIP, roles.ADMINISTRATOR]
)
def test_only_responsible_units_may_file(client, users, home, masks, role):
    client.force_login(users[role])
    assert client.get(FORM).status_code == 403
    data = post_data(home, **{field(masks, "on_hand"): "300", field(masks, "daily_use"): "60"})
    assert client.post(FORM, data).status_code == 403
    assert not StockReport.objects.exists()


@pytest.mark.django_db
def test_the_reports_list_names_only_the_institutions_a_role_may_see(client, users, home, masks):
    InstitutionFactory(name="西河镇敬老院")
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    page = client.get(LIST).content.decode()
    assert "东山乡敬老院" in page and "西河镇敬老院" not in page
    assert "逾期未报" in page  # never reported
    for role in (roles.COMMUNICATIONS, roles.INSPECTOR, roles.LEADERSHIP, roles.ADMINISTRATOR):
        client.force_login(users[role])
        page = client.get(LIST).content.decode()
        assert "东山乡敬老院" in page and "西河镇敬老院" in page, role
    client.logout()
    assert client.get(LIST).status_code == 302


BAD_INPUT = [
    ("negative on hand", {"m_on_hand": "-5", "m_daily_use": "10"}, "m_on_hand", "不能为负数"),
    ("non-numeric use", {"m_on_hand": "50", "m_daily_use": "十"}, "m_daily_use", "须为整数"),
    ("decimal on hand", {"m_on_hand": "5.5", "m_daily_use": "10"}, "m_on_hand", "须为整数"),
    ("use of zero", {"m_on_hand": "50", "m_daily_use": "0"}, "m_daily_use", "日消耗量须大于 0"),
    ("use missing", {"m_on_hand": "50", "m_daily_use": ""}, "m_daily_use", "须为整数"),
    (
        "staff not a number",
        {"m_on_hand": "50", "m_daily_use": "10", "staff_count": "many"},
        "staff_count",
        "工作人员数须为整数",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("label,figures,field_key,message", BAD_INPUT, ids=[row[0] for row in BAD_INPUT])
def test_bad_figures_are_refused_naming_the_field_and_nothing_is_written(
    client, users, home, masks, label, figures, field_key, message
):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    names = {"m_on_hand": field(masks, "on_hand"), "m_daily_use": field(masks, "daily_use")}
    data = post_data(home, **{names.get(key, key): value for key, value in figures.items()})
    response = client.post(FORM, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert message in " ".join(errors[names.get(field_key, field_key)])
    if field_key.startswith("m_"):
        assert "医用防护口罩" in " ".join(errors[names[field_key]])  # names the goods item
    assert not StockReport.objects.exists() and not StockLine.objects.exists()


@pytest.mark.django_db
def test_a_future_day_is_refused(client, users, home, masks):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    data = post_data(home, day=tomorrow, **{field(masks, "on_hand"): "50", field(masks, "daily_use"): "10"})
    response = client.post(FORM, data)
    assert "不能填报未来日期" in " ".join(response.context["form"].errors["day"])
    assert not StockReport.objects.exists()


@pytest.mark.django_db
def test_goods_not_in_the_catalogue_are_refused(client, users, home, masks):
    client.force_login(users[roles.RESPONSIBLE_UNIT])
    retired = GoodsItem.objects.get(name="红外额温枪")
    retired.active = False
    retired.save()
    data = post_data(home, **{field(masks, "on_hand"): "50", field(masks, "daily_use"): "10"})
    data["goods-999999-on_hand"] = "5"
    data["goods-999999-daily_use"] = "1"
    data[field(retired, "on_hand")] = "5"
    data[field(retired, "daily_use")] = "1"
    response = client.post(FORM, data)
    errors = " ".join(response.context["form"].non_field_errors())
    assert "“999999”不在物资目录中" in errors and "红外额温枪" in errors
    assert not StockReport.objects.exists()


@pytest.mark.django_db
def test_an_empty_report_is_refused(users, home):
    with pytest.raises(ValidationError) as caught:
        stock.file_stock_report(home, timezone.localdate(), 8, 40, [], users[roles.RESPONSIBLE_UNIT])
    assert "请至少填写一种物资" in str(caught.value.message_dict["lines"])


@pytest.mark.django_db(transaction=True)
def test_two_filings_at_once_make_one_row_the_later_wins_and_both_are_in_history(users, home, masks):
    unit = users[roles.RESPONSIBLE_UNIT]
    barrier = threading.Barrier(2)
    errors = []

    def file(on_hand):
        try:
            client = Client()
            client.force_login(unit)
            data = post_data(home, **{field(masks, "on_hand"): str(on_hand), field(masks, "daily_use"): "10"})
            barrier.wait(timeout=10)
            response = client.post(FORM, data)
            assert response.status_code == 302, response.status_code
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=file, args=(value,)) for value in (100, 200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors

    report = StockReport.objects.get(institution=home)
    revisions = list(StockReportRevision.objects.filter(report=report).order_by("revision"))
    assert [rev.revision for rev in revisions] == [1, 2] and report.revision == 2
    assert sorted(rev.content["lines"][0]["on_hand"] for rev in revisions) == [100, 200]
    # The later filing (the last revision) is what the report says.
    assert list(report.lines.values_list("on_hand", flat=True)) == [
        revisions[-1].content["lines"][0]["on_hand"]
    ]


@pytest.mark.django_db
def test_a_report_older_than_two_working_days_is_overdue():
    # Thursday 2026-12-03: two working days back is Tuesday 12-01.
    assert stock.overdue_before(datetime.date(2026, 12, 3)) == datetime.date(2026, 12, 1)
    # Monday 2026-12-07: the weekend does not count, so Thursday 12-03 is still on time.
    assert stock.overdue_before(datetime.date(2026, 12, 7)) == datetime.date(2026, 12, 3)
