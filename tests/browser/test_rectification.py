"""A whole rectification in a real browser: assign, acknowledge, submit evidence, return with a
reason, resubmit, close; the timeline shows every move."""

import pytest

from snippets.models import Issue
from workflows import roles
from workflows.models import StageTransition

pytestmark = pytest.mark.browser


def _move(page, issue, name, **fields):
    page.goto(f"/admin/rectification/issue/{issue.pk}/")
    form = page.locator(f'form[data-move-form="{name}"]')
    for field, value in fields.items():
        form.locator(f'[name="{field}"]').fill(value)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("[data-conflict], [data-form-errors]").count() == 0, page.content()[:2000]


def test_unit_submits_leader_returns_unit_resubmits_leader_closes(page_as, users, artifacts_dir):
    from tests.workflows.factories import InstitutionFactory, IssueFactory

    unit = users[roles.RESPONSIBLE_UNIT]
    institution = InstitutionFactory(name="城关镇敬老院")
    institution.responsible_users.add(unit)
    issue = IssueFactory(institution=institution, title="口罩储备不足三天用量")
    inspector, unit_page, leader = (
        page_as(roles.INSPECTOR),
        page_as(roles.RESPONSIBLE_UNIT),
        page_as(roles.LEADERSHIP),
    )

    inspector.goto(f"/admin/rectification/issue/{issue.pk}/")
    form = inspector.locator('form[data-move-form="assign"]')
    form.locator('[name="responsible_person"]').select_option(str(unit.pk))
    form.locator('[name="deadline"]').fill("2026-12-04")
    form.locator("button[type=submit]").click()
    inspector.wait_for_load_state()

    _move(unit_page, issue, "acknowledge")
    _move(unit_page, issue, "submit", evidence="已采购 KN95 口罩 2000 只")
    # The unit now has no buttons; the leader has approve and return.
    assert unit_page.locator("form[data-move-form]").count() == 0
    leader.goto(f"/admin/rectification/issue/{issue.pk}/")
    assert leader.locator("form[data-move-form]").count() == 2
    _move(leader, issue, "return", note="缺少入库签收单")
    _move(unit_page, issue, "submit", evidence="补充入库签收单")
    leader.goto("/admin/rectification/queue/")
    assert leader.get_by_text(issue.number).count() == 1
    _move(leader, issue, "close", note="同意销号")

    assert Issue.objects.get(pk=issue.pk).stage == "closed"
    assert list(StageTransition.objects.filter(issue=issue).values_list("move", flat=True)) == [
        "assign",
        "acknowledge",
        "submit",
        "return",
        "submit",
        "close",
    ]
    leader.goto(f"/admin/rectification/issue/{issue.pk}/")
    timeline = leader.locator("[data-timeline] li")
    assert timeline.count() == 6
    text = leader.locator("[data-timeline]").inner_text()
    for expected in ("缺少入库签收单", "补充入库签收单", "已销号", "同意销号"):
        assert expected in text
    assert leader.locator('[data-stage="closed"]').count() == 1
    leader.screenshot(path=artifacts_dir / "rectification-timeline.png", full_page=True)
