"""A leader opens the dashboard, reads the figures and approves a closure request from it."""

import datetime as dt

import pytest

from django.utils import timezone

from snippets.choices import Area
from snippets.models import Issue
from tests.snippets.factories import InstitutionFactory, IssueCategoryFactory, IssueFactory
from workflows import roles
from workflows.dashboard import cache
from workflows.models import StageTransition

pytestmark = pytest.mark.browser


@pytest.fixture
def submitted_issue(transactional_db, users, make_user):
    cache._cache().clear()
    unit = make_user(roles.RESPONSIBLE_UNIT, username="unit-browser")
    rural = InstitutionFactory(name="河口村敬老院", township="河口镇", area=Area.RURAL)
    urban = InstitutionFactory(name="河口养老中心", township="河口镇", area=Area.URBAN)
    rural.responsible_users.add(unit)
    today = timezone.localdate()
    category = IssueCategoryFactory(code="supply-shortage")
    IssueFactory(institution=urban, category=category, found_on=today - dt.timedelta(days=3), deadline=today)
    IssueFactory(
        institution=rural,
        category=category,
        found_on=today - dt.timedelta(days=9),
        deadline=today - dt.timedelta(days=2),
    )
    issue = IssueFactory(
        institution=rural, category=category, title="防护服储备不足", found_on=today - dt.timedelta(days=5)
    )
    # Set-up only: the stage is placed directly, with the log row the submit move would have left.
    Issue.objects.filter(pk=issue.pk).update(stage="submitted", stage_version=3)
    StageTransition.objects.create(
        issue=issue,
        move="submit",
        from_stage="in_progress",
        to_stage="submitted",
        version=3,
        actor=unit,
        actor_name="河口村",
        evidence="已补充防护服200套",
    )
    yield issue
    cache._cache().clear()


def test_leader_approves_a_closure_from_the_dashboard(page_as, submitted_issue, artifacts_dir):
    page = page_as(roles.LEADERSHIP)
    page.goto("/admin/dashboard/")
    row = page.locator(f'tr[data-issue="{submitted_issue.pk}"]')
    assert "防护服储备不足" in row.inner_text()
    assert page.locator('[data-figure="open"]').inner_text() == "3"
    assert page.locator("svg.dashboard-chart").count() >= 4
    page.screenshot(path=artifacts_dir / "dashboard-leader-before.png", full_page=True)
    # The admin scrolls inside its own pane: capture the chart sections themselves too.
    for name in ("stages", "urban-rural", "trend"):
        page.locator(f"#section-{name}").screenshot(path=artifacts_dir / f"dashboard-chart-{name}.png")

    row.get_by_role("button", name="审批销号").click()
    page.wait_for_url("**/admin/dashboard/")
    assert submitted_issue.number in page.locator(".messages").inner_text()
    assert page.locator(f'tr[data-issue="{submitted_issue.pk}"]').count() == 0
    assert page.locator('[data-figure="closed"]').inner_text() == "1"
    page.screenshot(path=artifacts_dir / "dashboard-leader-approved.png", full_page=True)
    submitted_issue.refresh_from_db()
    assert submitted_issue.stage == "closed"


def test_dashboard_fits_a_phone(page_as, submitted_issue, artifacts_dir):
    page = page_as(roles.LEADERSHIP, viewport={"width": 390, "height": 844})
    page.goto("/admin/dashboard/")
    width = page.evaluate("document.querySelector('svg.dashboard-chart').getBoundingClientRect().width")
    assert 0 < width <= 390
    page.screenshot(path=artifacts_dir / "dashboard-leader-phone.png", full_page=True)


def test_dashboard_prints_without_its_buttons(page_as, submitted_issue, artifacts_dir):
    page = page_as(roles.LEADERSHIP)
    page.goto("/admin/dashboard/")
    page.emulate_media(media="print")
    assert page.locator(".dashboard-decide").first.is_hidden()
    assert page.locator("svg.dashboard-chart").first.is_visible()
    page.locator("#section-urban-rural").screenshot(path=artifacts_dir / "dashboard-print-urban-rural.png")
