"""One admin menu for inspections and rectification (督查整改), in the order people work."""

import pytest

from django.test import RequestFactory

from wagtail.admin.menu import admin_menu

from workflows import roles


def menu_for(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return {str(item.label): item for item in admin_menu.menu_items_for_request(request)}, request


def submenu_labels(user):
    items, request = menu_for(user)
    # The submenu as the sidebar renders it (visible items, sorted by their order).
    return [str(component.label) for component in items["督查整改"].menu.render_component(request)]


def test_the_old_rectification_menu_and_loose_inspection_items_are_gone(users):
    items, _request = menu_for(users[roles.LEADERSHIP])
    assert "整改" not in items
    assert "检查任务" not in items and "导入问题" not in items
    assert "督查整改" in items


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (
            roles.INSPECTOR,
            ["督查轮次", "检查", "检查任务", "问题", "导入问题", "销号申请", "整改台账", "机构", "问题类别"],
        ),
        (
            roles.LEADERSHIP,
            ["督查轮次", "检查", "检查任务", "问题", "销号申请", "整改台账", "机构", "问题类别"],
        ),
        (roles.RESPONSIBLE_UNIT, ["检查", "检查任务", "问题", "整改台账", "机构"]),
    ],
)
def test_the_inspection_menu_lists_rounds_visits_issues_closures_then_the_ledger(users, role, expected):
    labels = submenu_labels(users[role])
    work_order = [label for label in labels if label in expected]
    assert work_order == expected, labels


def test_administrators_find_the_calendar_at_the_end_of_the_same_menu(users):
    labels = submenu_labels(users[roles.ADMINISTRATOR])
    positions = [labels.index(label) for label in ("督查轮次", "问题", "整改台账", "工作日历")]
    assert positions == sorted(positions)
    assert "销号申请" not in labels  # administrators configure; closures are leadership's
