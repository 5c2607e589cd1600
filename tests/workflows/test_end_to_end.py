"""With a real qcluster subprocess (not sync mode): scheduled auto-assignment and a poison task."""

import datetime
import time

import pytest
from django_q.models import Schedule
from django_q.tasks import async_task

from django.utils import timezone

from snippets.models import Issue
from workflows import roles
from workflows.models import StageTransition, TaskAttempt
from workflows.scheduling import ensure_schedules

from .factories import InstitutionFactory, IssueCategoryFactory, IssueFactory


def test_a_reported_item_whose_task_was_lost_is_assigned_by_the_scheduled_reconciler(
    qcluster, users, task_queue
):
    unit = users[roles.RESPONSIBLE_UNIT]
    institution = InstitutionFactory()
    institution.responsible_users.add(unit)
    category = IssueCategoryFactory(default_deadline_days=3)
    issue = IssueFactory(institution=institution, category=category, found_on=datetime.date(2026, 2, 13))
    # The task queued on commit is lost (a Redis broker has no receipts): only the schedule is left.
    task_queue.purge()
    Issue.objects.filter(pk=issue.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=5))
    ensure_schedules()
    Schedule.objects.exclude(name="workflows.reconcile").update(
        next_run=timezone.now() + datetime.timedelta(days=1)
    )
    Schedule.objects.filter(name="workflows.reconcile").update(
        next_run=timezone.now() - datetime.timedelta(seconds=1)
    )

    qcluster.start()
    qcluster.wait_until(
        lambda: Issue.objects.get(pk=issue.pk).stage == "assigned",
        timeout=90,
        what="scheduled auto-assignment",
    )

    # A new item while the cluster runs goes the normal way: queued on commit.
    fresh = IssueFactory(institution=institution, category=category, found_on=datetime.date(2026, 2, 13))
    qcluster.wait_until(
        lambda: Issue.objects.get(pk=fresh.pk).stage == "assigned", timeout=60, what="on-commit task"
    )

    # The attempt row is marked done just after the move commits: wait for it, do not race it.
    keys = [f"auto_assign:{item.pk}" for item in (issue, fresh)]
    qcluster.wait_until(
        lambda: TaskAttempt.objects.filter(key__in=keys, state="done").count() == 2,
        timeout=30,
        what="attempts recorded as done",
    )
    for item in (issue, fresh):
        item.refresh_from_db()
        assert (item.responsible_person, item.deadline) == (unit, datetime.date(2026, 2, 25))
        row = StageTransition.objects.get(issue=item)
        assert row.actor is None and row.task_id == f"auto_assign:{item.pk}"
        assert TaskAttempt.objects.get(key=f"auto_assign:{item.pk}").state == "done"


def test_a_task_that_kills_its_worker_is_marked_failed_after_three_attempts_and_not_redelivered(
    qcluster, users, tmp_path, task_queue
):
    if task_queue.is_redis:
        pytest.skip(
            "Redis has no delivery receipts: a task that kills its worker is lost, not redelivered; "
            "the reconciler re-queues the work (test_a_reported_item_whose_task_was_lost_...)"
        )
    marker = tmp_path / "runs.txt"
    async_task("tests.workflows.poison.kill_worker", "poison:e2e", str(marker))

    # django-q2's max_attempts is 100 in this cluster: only the app's counter can stop it.
    qcluster.start(DJANGO_SETTINGS_MODULE="tests.workflows.qcluster_settings")
    qcluster.wait_until(
        lambda: TaskAttempt.objects.filter(key="poison:e2e", state="failed").exists(),
        timeout=120,
        what="poison task marked failed",
    )
    qcluster.wait_until(lambda: task_queue.size() == 0, timeout=30, what="poison task acknowledged")
    time.sleep(9)  # longer than retry: a redelivery would show up as a fourth run

    assert marker.read_text().count("run") == 3
    assert TaskAttempt.objects.get(key="poison:e2e").attempts == 4
    assert task_queue.size() == 0
    assert (
        "Task poison:e2e (tests.workflows.poison.kill_worker) failed after 3 attempts" in qcluster.read_log()
    )


def test_a_transition_task_killed_after_its_move_is_redelivered_and_moves_nothing_twice(
    qcluster, users, tmp_path, task_queue
):
    if task_queue.is_redis:
        pytest.skip("ORM broker redelivery; on Redis the reconciler covers lost tasks")
    unit = users[roles.RESPONSIBLE_UNIT]
    institution = InstitutionFactory()
    institution.responsible_users.add(unit)
    issue = IssueFactory(institution=institution, category=IssueCategoryFactory(default_deadline_days=3))
    task_queue.purge()  # only the killing variant of the task below
    marker = tmp_path / "runs.txt"
    async_task("tests.workflows.poison.assign_then_die_once", issue.pk, str(marker))

    qcluster.start(DJANGO_SETTINGS_MODULE="tests.workflows.qcluster_settings")
    qcluster.wait_until(
        lambda: marker.exists() and "rerun" in marker.read_text(), timeout=90, what="redelivery"
    )
    qcluster.wait_until(lambda: task_queue.size() == 0, timeout=30, what="task acknowledged")

    assert marker.read_text().split() == ["died", "rerun"]
    issue.refresh_from_db()
    assert issue.stage == "assigned"
    assert StageTransition.objects.filter(issue=issue).count() == 1
