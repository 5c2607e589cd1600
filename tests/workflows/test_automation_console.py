"""The automation console: administrators see and pause schedules; other roles cannot."""

import pytest
from django_q.models import Schedule

from workflows import roles
from workflows.scheduling import ensure_schedules

pytestmark = pytest.mark.django_db


@pytest.fixture
def role_admin(django_user_model):
    """An administrator by group membership only (not a superuser): the role table is under test."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user("role-admin", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=roles.group_name(roles.ADMINISTRATOR)))
    return user


def test_the_workflow_schedules_are_declared_once_with_timing():
    ensure_schedules()
    ensure_schedules()
    names = set(Schedule.objects.filter(name__startswith="workflows.").values_list("name", flat=True))
    assert names == {
        "workflows.overdue_sweep",
        "workflows.deadline_reminders",
        "workflows.reconcile",
        "workflows.ledger_nightly",
        "workflows.daily_brief",
        "workflows.dashboard_morning",
    }
    assert Schedule.objects.filter(name="workflows.overdue_sweep").count() == 1
    assert Schedule.objects.get(name="workflows.overdue_sweep").minutes == 15


def test_an_administrator_pauses_a_schedule_and_a_deploy_does_not_resume_it(client, role_admin):
    ensure_schedules()
    schedule = Schedule.objects.get(name="workflows.overdue_sweep")
    client.force_login(role_admin)
    assert "workflows.overdue_sweep" in client.get("/admin/schedules/").content.decode()

    response = client.post(
        f"/admin/schedules/edit/{schedule.pk}/",
        {"repeats": "0", "next_run": schedule.next_run.strftime("%Y-%m-%d %H:%M")},
    )
    assert response.status_code == 302
    ensure_schedules()
    assert Schedule.objects.get(pk=schedule.pk).repeats == 0


@pytest.mark.parametrize(
    "role_key", [roles.LEADERSHIP, roles.INSPECTOR, roles.COMMUNICATIONS, roles.RESPONSIBLE_UNIT]
)
def test_other_roles_cannot_see_or_change_schedules_or_the_calendar(client, users, role_key):
    ensure_schedules()
    schedule = Schedule.objects.get(name="workflows.overdue_sweep")
    client.force_login(users[role_key])
    for url in ("/admin/schedules/", "/admin/calendar_days/", "/admin/task_failures/"):
        response = client.get(url)
        assert (
            response.status_code in (302, 403) and "workflows.overdue_sweep" not in response.content.decode()
        )
    client.post(f"/admin/schedules/edit/{schedule.pk}/", {"repeats": "0"})
    assert Schedule.objects.get(pk=schedule.pk).repeats == -1


def test_an_administrator_adds_an_extra_holiday(client, role_admin):
    from workflows.models import CalendarDay

    client.force_login(role_admin)
    response = client.post(
        "/admin/calendar_days/new/", {"date": "2027-01-01", "is_workday": "", "note": "元旦"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date="2027-01-01").is_workday is False
