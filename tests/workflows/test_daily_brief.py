"""The daily leadership brief (每日会商简报): its figures are the dashboard's, read back from the
.docx; units get theirs scoped; one private document and one notification per day; the schedule
follows the working-day calendar; only leadership and administrators download the kept brief."""

import datetime as dt
import io
import re

import pytest
from docx import Document as WordDocument

from django.core import mail
from django.urls import reverse

from wagtail.documents import get_document_model

from home.ledger.models import GoodsItem
from snippets.choices import Area
from tests.snippets.factories import InstitutionFactory, IssueFactory
from tests.snippets.stock_factories import put_reports
from tests.workflows.factories import CalendarDayFactory
from tests.workflows.test_dashboard_queries import TODAY, dashboard_data  # noqa: F401 (fixture)
from workflows import roles
from workflows.brief import builder, service, tasks
from workflows.brief.figures import BureauScope, brief_figures, scope_for
from workflows.dashboard import queries
from workflows.dashboard.queries import DashboardScope
from workflows.dashboard.supplies import supplies_figures
from workflows.models import DailyBrief, Notification
from workflows.notifications import deliver_pending_emails
from workflows.scheduling import declared_schedules

UNKNOWN_YEAR_DAY = dt.date(2099, 6, 1)


def docx_text(data):
    document = WordDocument(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text for cell in row.cells))
    return "\n".join(parts)


def headline_table(data):
    """{label: value} of the brief's first table (the headline figures)."""
    document = WordDocument(io.BytesIO(data))
    table = document.tables[0]
    return {row.cells[0].text: row.cells[1].text for row in table.rows[1:]}


def refused(response):
    """Wagtail's admin answers PermissionDenied with a redirect to the admin home and a message."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


def footer_fields(data):
    document = WordDocument(io.BytesIO(data))
    xml = document.sections[0].footer._element.xml
    return re.findall(r"<w:instrText[^>]*>\s*(\w+)\s*</w:instrText>", xml)


def test_the_briefs_headline_figures_read_back_from_the_docx_are_the_dashboards(dashboard_data, users):  # noqa: F811
    leader_scope = DashboardScope.for_user(users[roles.LEADERSHIP], today=TODAY)
    dashboard = queries.inspection_figures(leader_scope)
    data = builder.build_docx(brief_figures(BureauScope.for_day(TODAY)))
    table = headline_table(data)

    today_row = dashboard["trend"][-1]
    assert today_row["day"] == TODAY
    assert table["当日新增问题"] == str(today_row["opened"])
    assert table["当日销号"] == str(today_row["closed"])
    assert table["未销号问题"] == str(dashboard["headline"]["open"]) == "6"
    assert table["逾期问题"] == str(dashboard["headline"]["overdue"]) == "3"
    assert table["待领导审核销号"] == str(dashboard["headline"]["submitted"]) == "1"
    for row in dashboard["by_escalation"]:
        assert table[f"逾期·{row['label']}"] == str(row["count"])
    # Open supply-shortage issues (category A of the fixture is the supply-shortage category).
    assert table["物资短缺问题（未销号）"] == "3"
    text = docx_text(data)
    # Recurring problems: R1 x category A found in both rounds, as on the dashboard.
    assert dashboard["recurrence"]["count"] == 1
    assert "城关村敬老院 | 农村 | 防控物资不足 | 2 | 2" in text
    # The urban-rural comparison and the township table carry the dashboard's numbers.
    total = dashboard["urban_rural"]["total"]
    assert f"城区 | {total['urban']['visits']} | {total['urban']['issues']}" in text
    assert f"农村 | {total['rural']['visits']} | {total['rural']['issues']}" in text
    for row in dashboard["urban_rural"]["townships"]:
        visits = row["urban"]["visits"] + row["rural"]["visits"]
        issues = row["urban"]["issues"] + row["rural"]["issues"]
        assert f"{row['township']} | {visits} | {issues} |" in text


def test_the_donation_figures_of_the_brief_are_the_dashboards(db, users):
    from home.ledger.models import EntryKind
    from home.ledger.services import record_entry

    record_entry(kind=EntryKind.CASH, number="JZ-BRIEF-1", entry_date=TODAY, amount="1200.50")
    scope = DashboardScope.for_user(users[roles.LEADERSHIP], today=TODAY)
    donations = queries.donation_figures(scope)
    table = headline_table(builder.build_docx(brief_figures(BureauScope.for_day(TODAY))))
    assert table["当日接收捐赠（笔）"] == str(donations["donations_today"]) == "1"
    assert table["当日接收资金（元）"] == "1,200.50"
    assert table["累计接收资金（元）"] == f"{donations['cash_total']:,.2f}"
    assert table["资金结余（元）"] == f"{donations['cash_balance']:,.2f}"
    assert table[f"{TODAY - dt.timedelta(days=1):%Y-%m-%d} 公示"] == "未发布"


def test_a_units_brief_is_scoped_to_its_own_institutions(dashboard_data, users):  # noqa: F811
    unit = users[roles.RESPONSIBLE_UNIT]
    rural = dashboard_data["institutions"]["R1"]
    rural.responsible_users.add(unit)
    scope = scope_for(unit, TODAY)
    assert scope.limited_to_units
    figures = brief_figures(scope)
    data = builder.build_docx(figures)
    text = docx_text(data)
    assert "范围：本单位负责的机构：城关村敬老院" in text
    # R1 has I3, I4, I5 open; the others' institutions appear nowhere.
    assert headline_table(data)["未销号问题"] == str(queries.headline(scope)["open"]) == "3"
    for other in ("城关敬老院 |", "河口养老中心", "河口村敬老院"):
        assert other not in text
    # No donation figures in a unit's brief (the dashboard does not show them to units either).
    assert "累计接收资金（元）" not in headline_table(data)


def test_a_day_without_data_gives_a_brief_that_says_so(db):
    data = builder.build_docx(brief_figures(BureauScope.for_day(TODAY)))
    text = docx_text(data)
    assert "本日无新增问题、无销号、无捐赠记录。" in text
    assert "无未销号的物资短缺问题。" in text
    assert "库存保障天数：暂无物资日报。" in text
    assert headline_table(data)["未销号问题"] == "0"


def test_the_briefs_days_of_cover_are_the_dashboards_lowest_first_and_scoped(db, users):
    masks = GoodsItem.objects.get(name="医用防护口罩")
    suits = GoodsItem.objects.get(name="医用一次性防护服")
    rural = InstitutionFactory(name="西河民办养老院", area=Area.RURAL)
    urban = InstitutionFactory(name="城关镇敬老院", area=Area.URBAN)
    put_reports([rural], [masks, suits], TODAY, on_hand=10, daily_use=4)
    put_reports([urban], [masks], TODAY, on_hand=100, daily_use=10)
    figures = brief_figures(BureauScope.for_day(TODAY))
    dashboard = {
        row["name"]: (row["lowest_goods"], row["lowest_cover"])
        for row in supplies_figures(users[roles.LEADERSHIP], today=TODAY)["institutions"]
    }
    assert [(r["institution"], r["item"], r["days"]) for r in figures["days_of_cover"]] == [
        ("西河民办养老院", *dashboard["西河民办养老院"]),
        ("城关镇敬老院", *dashboard["城关镇敬老院"]),
    ]
    assert figures["days_of_cover"][0]["days"] == 2.5
    text = docx_text(builder.build_docx(figures))
    assert "西河民办养老院 | 医用防护口罩 | 2.5" in text
    assert "城关镇敬老院 | 医用防护口罩 | 10.0" in text
    assert "暂无物资日报" not in text

    unit = users[roles.RESPONSIBLE_UNIT]
    urban.responsible_users.add(unit)
    unit_text = docx_text(builder.build_docx(brief_figures(scope_for(unit, TODAY))))
    assert "城关镇敬老院 | 医用防护口罩 | 10.0" in unit_text
    assert "西河民办养老院" not in unit_text


def test_the_brief_has_a_date_line_and_page_number_fields_in_its_footer(db):
    data = builder.build_docx(brief_figures(BureauScope.for_day(dt.date(2026, 12, 3))))
    assert "2026年12月3日（星期四）" in docx_text(data)
    assert footer_fields(data) == ["PAGE", "NUMPAGES"]


@pytest.fixture
def leaders(users, make_user):
    return [users[roles.LEADERSHIP], make_user(roles.LEADERSHIP, username="leader2")]


def test_building_twice_a_day_replaces_the_file_and_notifies_leadership_once(
    db, users, leaders, django_capture_on_commit_callbacks
):
    day = dt.date(2026, 12, 3)
    with django_capture_on_commit_callbacks(execute=True):
        first = service.build_daily_brief(day)
    document = get_document_model().objects.get(pk=first["document"])
    first_name = document.file.name
    with django_capture_on_commit_callbacks(execute=True):
        second = service.build_daily_brief(day)
    document.refresh_from_db()

    assert second["document"] == first["document"] and second["builds"] == 2
    assert first["notified"] == 2 and second["notified"] == 0
    assert DailyBrief.objects.count() == 1 and get_document_model().objects.count() == 1
    assert document.file.name != first_name and not document.file.storage.exists(first_name)
    assert document.collection.name == service.COLLECTION_NAME
    assert document.collection.get_view_restrictions().get().groups.count() == 2
    notes = Notification.objects.filter(key="daily-brief:2026-12-03")
    assert sorted(n.recipient.username for n in notes) == sorted(u.username for u in leaders)
    assert deliver_pending_emails()["sent"] == 2
    assert len(mail.outbox) == 2
    assert "http://" in mail.outbox[0].body and "/admin/brief/2026-12-03.docx" in mail.outbox[0].body
    with document.file.open("rb") as handle:
        assert "疫情防控每日会商简报" in docx_text(handle.read())


def test_an_unknown_calendar_year_is_named_in_the_brief_and_the_notification(db, users):
    result = service.build_daily_brief(UNKNOWN_YEAR_DAY)
    assert "2099" in result["calendar_note"]
    notification = Notification.objects.get(recipient=users[roles.LEADERSHIP])
    assert "2099 年的节假日安排尚未录入" in notification.subject
    assert "2099 年的节假日安排尚未录入" in notification.body
    document = get_document_model().objects.get(pk=result["document"])
    with document.file.open("rb") as handle:
        assert "日历提示：2099 年的节假日安排尚未录入" in docx_text(handle.read())


def test_the_schedule_builds_on_working_days_and_make_up_weekends_only(db, users):
    spec = next(s for s in declared_schedules() if s.name == "workflows.daily_brief")
    assert spec.func == "workflows.brief.tasks.scheduled_brief" and spec.cron == "0 7 * * *"
    saturday, make_up_saturday = dt.date(2026, 12, 5), dt.date(2026, 12, 12)
    CalendarDayFactory(date=make_up_saturday, is_workday=True, note="调休上班")
    assert tasks.scheduled_brief(saturday.isoformat())["status"] == "not a working day"
    assert tasks.scheduled_brief(make_up_saturday.isoformat())["builds"] == 1
    assert tasks.scheduled_brief(dt.date(2026, 12, 3).isoformat())["builds"] == 1
    # The package's own make-up working Sunday (调休) and a holiday on a weekday (National Day).
    assert tasks.scheduled_brief("2026-01-04")["builds"] == 1
    assert tasks.scheduled_brief("2026-10-01")["status"] == "not a working day"
    assert tasks.scheduled_brief(UNKNOWN_YEAR_DAY.isoformat())["calendar_note"].startswith("2099")
    assert sorted(DailyBrief.objects.values_list("day", flat=True)) == [
        dt.date(2026, 1, 4),
        dt.date(2026, 12, 3),
        make_up_saturday,
        UNKNOWN_YEAR_DAY,
    ]


@pytest.fixture
def kept_brief(db, users):
    result = service.build_daily_brief(dt.date(2026, 12, 3))
    return get_document_model().objects.get(pk=result["document"])


def test_the_kept_brief_is_served_to_leadership_and_administrators_only(client, users, kept_brief):
    serve_url = kept_brief.url
    stable_url = reverse("workflows_brief:day", args=["2026-12-03"])
    assert client.get(serve_url).status_code == 404  # anonymous: not advertised
    assert client.get(stable_url).status_code == 302  # anonymous: the admin's login
    for key in (roles.COMMUNICATIONS, roles.INSPECTOR, roles.RESPONSIBLE_UNIT):
        client.force_login(users[key])
        assert client.get(serve_url).status_code == 403, key
        assert refused(client.get(stable_url)), key
    for key in (roles.LEADERSHIP, roles.ADMINISTRATOR):
        client.force_login(users[key])
        for url in (serve_url, stable_url):
            response = client.get(url)
            assert response.status_code == 200, (key, url)
            assert "疫情防控每日会商简报" in docx_text(b"".join(response.streaming_content))
    # The storage's own URL (/media/ in development) is not guessable from the title or the day.
    assert re.search(r"daily-brief-20261203-[0-9a-f]{24}", kept_brief.file.name)


@pytest.fixture
def development_urls(settings):
    """cms.urls as `make run` builds it (DEBUG on: the development server serves media)."""
    import importlib

    from django.urls import clear_url_caches

    import cms.urls

    settings.DEBUG = True
    importlib.reload(cms.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(cms.urls)
    clear_url_caches()


def test_the_development_server_serves_images_but_never_the_brief_by_its_file(
    client, users, kept_brief, development_urls, settings
):
    from pathlib import Path

    image = Path(settings.MEDIA_ROOT) / "images" / "lead.png"
    image.parent.mkdir(parents=True, exist_ok=True)
    image.write_bytes(b"public image")
    assert b"".join(client.get("/media/images/lead.png").streaming_content) == b"public image"

    assert (Path(settings.MEDIA_ROOT) / kept_brief.file.name).exists()
    for key in (None, roles.COMMUNICATIONS, roles.LEADERSHIP):
        if key:
            client.force_login(users[key])
        response = client.get(f"/media/{kept_brief.file.name}")
        assert response.status_code == 404, key
        assert "docx" not in response.get("Content-Type", "") and not response.streaming


def test_other_documents_are_served_as_before(client, users):
    from django.core.files.base import ContentFile

    public = get_document_model().objects.create(title="公开文件", file=ContentFile(b"x", name="public.txt"))
    assert client.get(public.url).status_code == 200


def test_the_dashboard_button_queues_a_build_for_leadership_only(
    client, users, task_queue, django_capture_on_commit_callbacks
):
    url = reverse("workflows_brief:build")
    client.force_login(users[roles.LEADERSHIP])
    assert client.get(url).status_code == 405
    page = client.get(reverse("workflows_dashboard:index")).content.decode()
    assert "立即生成今日简报" in page and url in page
    form = page[page.index("data-brief-build") :]
    assert 'name="csrfmiddlewaretoken"' in form[: form.index("</form>")]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    assert task_queue.funcs() == ["workflows.brief.tasks.build_brief"]
    for key in (roles.COMMUNICATIONS, roles.INSPECTOR, roles.RESPONSIBLE_UNIT):
        client.force_login(users[key])
        with django_capture_on_commit_callbacks(execute=True):
            assert refused(client.post(url)), key
        assert "立即生成今日简报" not in client.get(reverse("workflows_dashboard:index")).content.decode()
    assert len(task_queue.funcs()) == 1


def test_a_unit_downloads_its_own_scoped_brief_and_communications_none(client, users):
    unit = users[roles.RESPONSIBLE_UNIT]
    mine = InstitutionFactory(name="本单位敬老院", township="城关镇", area=Area.URBAN)
    mine.responsible_users.add(unit)
    IssueFactory(institution=mine, title="本单位问题")
    IssueFactory(institution=InstitutionFactory(name="别人的敬老院"), title="别人的问题")
    url = reverse("workflows_brief:mine")
    client.force_login(unit)
    page = client.get(reverse("workflows_dashboard:index")).content.decode()
    assert url in page and "立即生成今日简报" not in page
    response = client.get(url)
    assert response.status_code == 200
    text = docx_text(response.content)
    assert "本单位敬老院" in text and "别人的敬老院" not in text
    assert headline_table(response.content)["未销号问题"] == "1"
    client.force_login(users[roles.COMMUNICATIONS])
    assert refused(client.get(url))
    client.force_login(unit)
    assert client.get(url + "?day=not-a-day").status_code == 404


def test_the_brief_converts_to_pdf_in_libreoffice_with_its_text_and_page_numbers(dashboard_data, tmp_path):  # noqa: F811
    import shutil
    import subprocess

    soffice, pdftotext = shutil.which("soffice"), shutil.which("pdftotext")
    if not soffice or not pdftotext:
        pytest.skip(
            "LibreOffice (soffice) or poppler (pdftotext) is not installed; CI does not install them "
            "(too big): `apt-get install libreoffice-writer-nogui poppler-utils` to run this test"
        )
    source = tmp_path / "brief.docx"
    source.write_bytes(builder.build_docx(brief_figures(BureauScope.for_day(TODAY))))
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = subprocess.run(
        [pdftotext, "-layout", str(tmp_path / "brief.pdf"), "-"], check=True, capture_output=True, text=True
    ).stdout
    compact = re.sub(r"\s+", "", text)
    assert "疫情防控每日会商简报" in compact
    assert "2026年11月28日（星期六）" in compact
    assert "城关村敬老院" in compact
    # The footer's PAGE and NUMPAGES fields, computed by LibreOffice.
    assert re.search(r"第1页共\d+页", compact)


def test_wagtails_default_moderators_workflow_is_gone_and_the_projects_workflows_are_kept(db):
    from wagtail.models import Page, Task, Workflow, WorkflowPage

    from home.services import WORKFLOW_NAME

    assert not Workflow.objects.filter(name="Moderators approval").exists()
    assert not Task.objects.filter(name="Moderators approval").exists()
    root = Page.get_first_root_node()
    assert WorkflowPage.objects.get(page=root).workflow.name == WORKFLOW_NAME


def test_the_migration_keeps_the_default_workflow_when_something_uses_it(db):
    import importlib

    from django.apps import apps

    from wagtail.models import GroupApprovalTask, Page, Workflow, WorkflowPage, WorkflowTask

    migration = importlib.import_module("workflows.migrations.0005_remove_default_moderators_workflow")
    home = Page.get_first_root_node().get_children().first()

    def default_workflow(attach_to=None):
        task = GroupApprovalTask.objects.create(name="Moderators approval")
        workflow = Workflow.objects.create(name="Moderators approval")
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
        if attach_to is not None:
            WorkflowPage.objects.create(workflow=workflow, page=attach_to)
        return workflow

    used = default_workflow(attach_to=home)
    migration.remove_default_workflow(apps, None)
    assert Workflow.objects.filter(pk=used.pk).exists()
    WorkflowPage.objects.filter(workflow=used).delete()
    migration.remove_default_workflow(apps, None)
    assert not Workflow.objects.filter(pk=used.pk).exists()
    assert not GroupApprovalTask.objects.filter(name="Moderators approval").exists()


def test_the_admin_notification_list_links_to_the_kept_brief(client, users, kept_brief):
    client.force_login(users[roles.LEADERSHIP])
    page = client.get(reverse("workflows_admin:notifications")).content.decode()
    assert "2026-12-03 每日会商简报已生成" in page
    assert 'href="http://127.0.0.1:8000/admin/brief/2026-12-03.docx"' in page


def test_roles_with_document_permissions_but_outside_leadership_cannot_list_or_edit_the_briefs(
    client, users, kept_brief
):
    from django.core.files.base import ContentFile

    other = get_document_model().objects.create(
        title="宣传海报说明", file=ContentFile(b"x", name="poster.txt")
    )
    edit_url = reverse("wagtaildocs:edit", args=[kept_brief.pk])
    client.force_login(users[roles.COMMUNICATIONS])
    listing = client.get(reverse("wagtaildocs:index")).content.decode()
    assert other.title in listing and kept_brief.title not in listing
    assert refused(client.get(edit_url))
    assert refused(client.get(reverse("wagtaildocs:delete", args=[kept_brief.pk])))
    chooser = client.get(reverse("wagtaildocs_chooser:choose")).content.decode()
    assert kept_brief.title not in chooser
    client.force_login(users[roles.LEADERSHIP])
    assert kept_brief.title in client.get(reverse("wagtaildocs:index")).content.decode()
    assert client.get(edit_url).status_code == 200


def test_the_briefs_query_count_does_not_grow_with_the_data(dashboard_data):  # noqa: F811
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from home.ledger.models import EntryKind
    from home.ledger.services import record_entry

    def count():
        with CaptureQueriesContext(connection) as captured:
            brief_figures(BureauScope.for_day(TODAY))
        return len(captured.captured_queries)

    count()  # warms the settings caches
    small = count()
    institution = dashboard_data["institutions"]["R1"]
    for n in range(15):
        IssueFactory(institution=institution, category=dashboard_data["categories"]["A"], found_on=TODAY)
        record_entry(
            kind=EntryKind.CASH, number=f"JZ-N-{n}", entry_date=TODAY, amount="10.00", purpose="定向"
        )
    assert count() == small
