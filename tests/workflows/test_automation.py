"""Auto-assignment, reminders, the overdue sweep, notifications and attempt counting
(RELIABILITY items 13, 16, 17, 25)."""

import datetime
import json
import threading

import pytest

from django.core import mail
from django.db import connection, transaction

from snippets.models import Issue
from workflows import automation, roles, tasks
from workflows.choices import EscalationLevel
from workflows.models import (
    CalendarYear,
    DeadlineReminder,
    Escalation,
    Notification,
    StageTransition,
    TaskAttempt,
)
from workflows.services import transition

from .factories import InstitutionFactory, IssueCategoryFactory, IssueFactory, issue_in_stage

pytestmark = pytest.mark.django_db

MONDAY = datetime.date(2026, 11, 23)


def test_a_reported_item_is_assigned_to_the_one_responsible_user_with_a_working_day_deadline(users):
    unit = users[roles.RESPONSIBLE_UNIT]
    institution = InstitutionFactory()
    institution.responsible_users.add(unit)
    category = IssueCategoryFactory(default_deadline_days=3)
    issue = IssueFactory(institution=institution, category=category, found_on=datetime.date(2026, 2, 13))

    first = tasks.auto_assign(issue.pk)
    second = tasks.auto_assign(issue.pk)

    issue.refresh_from_db()
    assert first["status"] == "assigned" and second["status"] == "skipped"
    assert (issue.stage, issue.responsible_person, issue.deadline) == (
        "assigned",
        unit,
        datetime.date(2026, 2, 25),
    )
    row = StageTransition.objects.get(issue=issue)
    assert row.actor is None and row.task_id == f"auto_assign:{issue.pk}"
    assert (
        Notification.objects.filter(recipient=unit, key=f"transition:{row.pk}").count() == 0
    )  # queued, not run
    automation.notify_transition(row.pk)
    automation.notify_transition(row.pk)
    assert Notification.objects.filter(recipient=unit, key=f"transition:{row.pk}").count() == 1


def test_an_institution_without_a_single_responsible_user_is_left_for_an_inspector(users, make_user):
    institution = InstitutionFactory()
    institution.responsible_users.add(
        users[roles.RESPONSIBLE_UNIT], make_user(roles.RESPONSIBLE_UNIT, username="u2")
    )
    issue = IssueFactory(institution=institution)

    assert tasks.auto_assign(issue.pk)["status"] == "manual"
    assert Issue.objects.get(pk=issue.pk).stage == "reported"
    assert Notification.objects.filter(recipient=users[roles.INSPECTOR], issue=issue).count() == 1


def test_auto_assignment_into_an_unknown_year_waits_and_tells_the_administrators(users):
    institution = InstitutionFactory()
    institution.responsible_users.add(users[roles.RESPONSIBLE_UNIT])
    issue = IssueFactory(institution=institution, found_on=datetime.date(2027, 3, 1))

    assert tasks.auto_assign(issue.pk) == {"status": "calendar_unknown", "year": 2027}
    assert Issue.objects.get(pk=issue.pk).stage == "reported"
    assert Notification.objects.filter(
        recipient=users[roles.ADMINISTRATOR], key="calendar-unknown:2027"
    ).exists()

    CalendarYear.objects.create(year=2027)
    assert tasks.auto_assign(issue.pk)["status"] == "assigned"


def _overdue(unit, deadline, stage="in_progress"):
    return issue_in_stage(stage, unit=unit, deadline=deadline)


def test_the_overdue_sweep_run_twice_escalates_and_notifies_once(users):
    unit = users[roles.RESPONSIBLE_UNIT]
    issue = _overdue(unit, MONDAY - datetime.timedelta(days=1))

    first = automation.escalate_overdue(today=MONDAY)
    second = automation.escalate_overdue(today=MONDAY)

    assert first["escalations"] == 1 and second["escalations"] == 0
    assert list(Escalation.objects.filter(issue=issue).values_list("level", flat=True)) == [
        EscalationLevel.REMINDER
    ]
    assert Notification.objects.filter(recipient=unit, issue=issue).count() == 1


def test_levels_rise_with_working_days_overdue_and_each_is_notified_once(users):
    unit, inspector, leader = users[roles.RESPONSIBLE_UNIT], users[roles.INSPECTOR], users[roles.LEADERSHIP]
    issue = _overdue(unit, datetime.date(2026, 11, 20))  # a Friday

    automation.escalate_overdue(today=datetime.date(2026, 11, 23))  # 1 working day overdue
    automation.escalate_overdue(today=datetime.date(2026, 11, 25))  # 3: supervision
    automation.escalate_overdue(today=datetime.date(2026, 11, 25))
    automation.escalate_overdue(today=datetime.date(2026, 12, 1))  # 7: notice

    levels = sorted(Escalation.objects.filter(issue=issue).values_list("level", flat=True))
    assert levels == [1, 2, 3]
    assert Notification.objects.filter(recipient=unit, issue=issue).count() == 3
    assert Notification.objects.filter(recipient=inspector, issue=issue).count() == 2
    assert Notification.objects.filter(recipient=leader, issue=issue).count() == 1


def test_after_three_days_of_downtime_an_item_gets_one_message_not_a_burst(users):
    unit = users[roles.RESPONSIBLE_UNIT]
    issue = _overdue(unit, datetime.date(2026, 11, 13))

    result = automation.escalate_overdue(today=datetime.date(2026, 11, 30))

    assert Escalation.objects.filter(issue=issue).count() == 3
    assert result["notified_items"] == 1
    assert Notification.objects.filter(recipient=unit, issue=issue).count() == 1
    assert "通报" in Notification.objects.get(recipient=unit, issue=issue).subject


def test_closed_and_submitted_items_are_not_escalated(users):
    unit = users[roles.RESPONSIBLE_UNIT]
    closed = _overdue(unit, MONDAY - datetime.timedelta(days=10), stage="closed")
    automation.escalate_overdue(today=MONDAY)
    assert not Escalation.objects.filter(issue=closed).exists()


@pytest.mark.parametrize("approval_lands", ["before_insert", "after_insert"])
def test_an_approval_racing_the_sweep_leaves_the_item_closed_and_unescalated(users, approval_lands):
    """The approval commits just before, or just after, the sweep's INSERT of escalations."""
    unit, leader = users[roles.RESPONSIBLE_UNIT], users[roles.LEADERSHIP]
    issue = _overdue(unit, MONDAY - datetime.timedelta(days=20))  # every level is due
    fired = []

    def approve():
        fired.append(True)
        # Test set-up of the unit's closure request; the approval itself goes through the service.
        Issue.objects.filter(pk=issue.pk).update(stage="submitted")
        transition(issue.pk, "close", leader)

    def race(execute, sql, params, many, context):
        if fired or not (sql.lstrip().upper().startswith("INSERT") and "workflows_escalation" in sql):
            return execute(sql, params, many, context)
        if approval_lands == "before_insert":
            approve()
            return execute(sql, params, many, context)
        result = execute(sql, params, many, context)
        approve()
        return result

    with connection.execute_wrapper(race):
        result = automation.escalate_overdue(today=MONDAY)

    assert fired
    # After the insert, the conditional update finds the item closed: a logged skip, not an error.
    assert result["skipped"] == (1 if approval_lands == "after_insert" else 0)
    assert Issue.objects.get(pk=issue.pk).stage == "closed"
    assert not Escalation.objects.filter(issue=issue).exists()
    assert not Notification.objects.filter(issue=issue, key__startswith="escalation:").exists()


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_escalate_each_item_once(users):
    unit = users[roles.RESPONSIBLE_UNIT]
    issues = [_overdue(unit, MONDAY - datetime.timedelta(days=1)) for _ in range(5)]
    barrier = threading.Barrier(2)

    def run():
        try:
            barrier.wait(timeout=10)
            automation.escalate_overdue(today=MONDAY)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Escalation.objects.filter(issue__in=issues).count() == 5
    assert Notification.objects.filter(recipient=unit, key__startswith="escalation:").count() == 5


def test_reminders_go_once_per_deadline_and_never_for_a_deadline_already_past(users):
    unit = users[roles.RESPONSIBLE_UNIT]
    due_soon = _overdue(unit, datetime.date(2026, 11, 25), stage="assigned")
    past = _overdue(unit, datetime.date(2026, 11, 20))
    far = _overdue(unit, datetime.date(2026, 12, 20))

    automation.send_reminders(today=MONDAY)
    automation.send_reminders(today=MONDAY)

    assert list(DeadlineReminder.objects.values_list("issue_id", flat=True)) == [due_soon.pk]
    assert Notification.objects.filter(recipient=unit, key__startswith="reminder:").count() == 1
    assert not DeadlineReminder.objects.filter(issue__in=[past, far]).exists()

    Issue.objects.filter(pk=due_soon.pk).update(deadline=datetime.date(2026, 11, 24))
    automation.send_reminders(today=MONDAY)
    assert DeadlineReminder.objects.filter(issue=due_soon).count() == 2


def test_emails_of_notifications_are_sent_once_however_often_delivery_runs(users):
    unit = users[roles.RESPONSIBLE_UNIT]
    _overdue(unit, MONDAY - datetime.timedelta(days=1))
    automation.escalate_overdue(today=MONDAY)

    tasks.deliver_notifications()
    tasks.deliver_notifications()

    assert len(mail.outbox) == 1 and mail.outbox[0].to == [unit.email]
    assert Notification.objects.get(recipient=unit).email_state == "sent"


def test_the_admin_notification_list_shows_the_unread_count_and_marks_read(client, users):
    unit = users[roles.RESPONSIBLE_UNIT]
    _overdue(unit, MONDAY - datetime.timedelta(days=1))
    automation.escalate_overdue(today=MONDAY)
    client.force_login(unit)

    assert "通知（1 条未读）" in client.get("/admin/rectification/notifications/").content.decode()
    sidebar = client.get("/admin/").content.decode()
    assert "通知（1）" in sidebar or json.dumps("通知（1）")[1:-1] in sidebar
    client.post("/admin/rectification/notifications/read/")
    assert "通知（0 条未读）" in client.get("/admin/rectification/notifications/").content.decode()


def test_a_task_is_marked_failed_after_the_allowed_attempts_without_running_again(users):
    runs = []

    def body():
        runs.append(1)
        raise RuntimeError("worker died")

    for _ in range(3):
        with pytest.raises(RuntimeError):
            automation.run_counted("poison:1", "poison", body)
    result = automation.run_counted("poison:1", "poison", body)
    again = automation.run_counted("poison:1", "poison", body)

    assert len(runs) == 3
    assert result["status"] == again["status"] == "failed"
    assert TaskAttempt.objects.get(key="poison:1").state == "failed"
    assert Notification.objects.filter(
        recipient=users[roles.ADMINISTRATOR], key="task-failed:poison:1"
    ).exists()


def test_a_sweep_does_not_overlap_a_run_still_in_progress():
    with automation.sweep_lock("x") as first, automation.sweep_lock("x") as second:
        assert (first, second) == (True, False)
    with automation.sweep_lock("x") as third:
        assert third is True


def test_the_reconciler_requeues_reported_items_whose_task_was_lost(users, task_queue):
    issue = IssueFactory()
    Issue.objects.filter(pk=issue.pk).update(created_at=issue.created_at - datetime.timedelta(minutes=5))
    task_queue.purge()

    result = automation.reconcile()

    assert result["auto_assign_requeued"] == 1
    assert task_queue.funcs() == ["workflows.tasks.auto_assign"]


@pytest.mark.django_db(transaction=True)
def test_a_task_for_an_issue_created_in_a_transaction_that_fails_is_never_queued(users, task_queue):
    before = task_queue.size()
    with pytest.raises(RuntimeError), transaction.atomic():
        IssueFactory()
        raise RuntimeError("rolled back")
    assert task_queue.size() == before

    IssueFactory()
    assert task_queue.size() == before + 1


def test_the_reconciler_requeues_the_notification_task_of_a_move_until_it_has_run(users, task_queue):
    issue = issue_in_stage("submitted", unit=users[roles.RESPONSIBLE_UNIT])
    row = transition(issue.pk, "close", users[roles.LEADERSHIP]).transition
    # The log is append-only through the ORM; test set-up ages the row with SQL.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workflows_stagetransition SET created_at = %s WHERE id = %s",
            [row.created_at - datetime.timedelta(minutes=5), row.pk],
        )
    task_queue.purge()

    assert automation.reconcile()["notify_requeued"] == 1
    tasks.notify_transition(row.pk)
    task_queue.purge()
    assert automation.reconcile()["notify_requeued"] == 0
    assert (
        Notification.objects.filter(
            key=f"transition:{row.pk}", recipient=users[roles.RESPONSIBLE_UNIT]
        ).count()
        == 1
    )
