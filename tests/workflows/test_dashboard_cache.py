"""The dashboard cache: served from the cache, made stale by changes, refreshed by the task; the
admin home panel."""

import pytest

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from snippets.models import Issue
from tests.snippets.factories import IssueFactory
from tests.workflows.test_dashboard_queries import dashboard_data, fixture_day  # noqa: F401 - fixtures
from workflows import roles
from workflows.dashboard import cache, signals, tasks

URL = reverse("workflows_dashboard:index")

# The figures are computed for the fixture's own day, not the clock's.
pytestmark = pytest.mark.usefixtures("fixture_day")


def _cold():
    """Nothing stored: neither the cache nor the materialised snapshots."""
    from workflows.models import DashboardSnapshot

    cache._cache().clear()
    DashboardSnapshot.objects.all().delete()


@pytest.fixture(autouse=True)
def fresh_cache():
    cache._cache().clear()
    yield
    cache._cache().clear()


def _render(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode(), len(ctx.captured_queries)


def test_figures_come_from_the_cache_until_the_data_changes(
    client,
    dashboard_data,  # noqa: F811
    users,
    django_capture_on_commit_callbacks,
    task_queue,
):
    assert signals.WATCHED  # the module connects its receivers on import
    client.force_login(users[roles.LEADERSHIP])
    html, cold = _render(client)
    assert 'data-figure="open">6<' in html
    html, warm = _render(client)
    assert warm < cold - 8  # the inspection and donation aggregates are not run again

    with django_capture_on_commit_callbacks(execute=True):
        IssueFactory(institution=dashboard_data["institutions"]["U1"])
    html, _queries = _render(client)
    assert 'data-figure="open">7<' in html
    # Invalidation queues nothing of its own (the issue's own auto-assignment is not ours).
    assert not [func for func in task_queue.funcs() if func.startswith("workflows.dashboard")]


def test_bulk_inserts_without_signals_still_show(client, dashboard_data, users):  # noqa: F811
    from workflows.models import Escalation

    client.force_login(users[roles.LEADERSHIP])
    html, _queries = _render(client)
    assert "未升级" in html
    issue = dashboard_data["issues"]["I4"]
    # The overdue sweep inserts with bulk_create: no post_save signal, no invalidation.
    Escalation.objects.bulk_create([Escalation(issue=issue, level=1, run_id="bulk", deadline=issue.deadline)])
    rows = _sheet(client, "escalation")
    assert rows[1:] == [["未升级", 2], ["提醒", 1], ["督办", 0], ["通报", 0]]


def _sheet(client, name):
    import io

    import openpyxl

    response = client.get(reverse("workflows_dashboard:export", args=[name]))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).worksheets[0]
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_refresh_task_recomputes_the_shared_figures(client, dashboard_data, users):  # noqa: F811
    client.force_login(users[roles.LEADERSHIP])
    _render(client)
    Issue.objects.filter(pk=dashboard_data["issues"]["I7"].pk).update(stage="closed")  # no signal
    cache.invalidate()
    result = tasks.refresh_dashboard()
    assert result["scope"] == "all"
    html, queries_after_refresh = _render(client)
    assert 'data-figure="open">5<' in html
    cache.invalidate()
    _cold()
    _html, queries_cold = _render(client)
    assert queries_after_refresh < queries_cold


def test_a_finished_data_task_warms_the_cache_once_per_burst(client, dashboard_data, users):  # noqa: F811
    from django_q.signals import post_execute

    client.force_login(users[roles.LEADERSHIP])
    _html, cold = _render(client)
    _cold()
    # Not a task that changes the figures: nothing is computed.
    post_execute.send(
        sender="django_q", task={"func": "workflows.tasks.deliver_notifications", "success": True}
    )
    assert _render(client)[1] == cold
    _cold()
    post_execute.send(sender="django_q", task={"func": "workflows.tasks.escalate_overdue", "success": True})
    html, warm = _render(client)
    assert warm < cold - 8
    assert 'data-figure="open">6<' in html
    # A second task finishing at once does not recompute: the stored figures are current.
    assert tasks.refresh_if_due() is False


def test_home_panel_shows_the_leaders_figures_and_closures(client, dashboard_data, users):  # noqa: F811
    client.force_login(users[roles.LEADERSHIP])
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "未销号 6 项，其中逾期 3 项" in html
    assert "累计 0.00 元" in html
    assert reverse("workflows_dashboard:index") in html


def test_home_panel_is_scoped_for_units_and_absent_without_a_role(
    client,
    dashboard_data,  # noqa: F811
    make_user,
    django_user_model,
):
    from django.contrib.auth.models import Permission

    unit = make_user(roles.RESPONSIBLE_UNIT, username="unit-u1")
    dashboard_data["institutions"]["U1"].responsible_users.add(unit)
    client.force_login(unit)
    html = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "未销号 1 项，其中逾期 0 项" in html
    assert "累计" not in html
    nobody = django_user_model.objects.create_user("nobody")
    nobody.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(nobody)
    assert "dashboard-summary-title" not in client.get(reverse("wagtailadmin_home")).content.decode()
