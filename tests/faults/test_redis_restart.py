"""Redis restarted while tasks are queued (issue #9, RELIABILITY 14).

CI's Redis, like this test's private one, keeps nothing on disk (`--save "" --appendonly no`), so a
restart empties the queue: django-q2's Redis broker cannot promise delivery here. What the app does
is detect the loss from the database and re-queue the work: the scheduled reconciler finds the
reported items that were never auto-assigned. The test never touches the shared Redis on 6379: it
starts a redis-server of its own on a free port and points a real qcluster at it.
"""

import datetime as dt
import os
import signal

import pytest
from django_q.models import Schedule
from django_q.status import Stat
from django_q.tasks import async_task

from django.utils import timezone

from snippets.models import Issue
from tests.faults.support import REDIS_SERVER, PrivateRedis, start_cluster, wait_for
from tests.workflows.factories import InstitutionFactory, IssueCategoryFactory, IssueFactory
from workflows import roles
from workflows.models import StageTransition, TaskAttempt
from workflows.scheduling import ensure_schedules

pytestmark = [pytest.mark.cluster]

ITEMS = 5


@pytest.fixture
def redis_server(tmp_path):
    if not os.path.exists(REDIS_SERVER):
        pytest.skip("redis-server is not installed")
    server = PrivateRedis(tmp_path).start()
    yield server
    server.kill()


def test_tasks_lost_in_a_redis_restart_are_requeued_by_the_reconciler(
    qcluster, users, task_queue, redis_server
):
    unit = users[roles.RESPONSIBLE_UNIT]
    institution = InstitutionFactory()
    institution.responsible_users.add(unit)
    category = IssueCategoryFactory(default_deadline_days=3)
    issues = [IssueFactory(institution=institution, category=category) for _ in range(ITEMS)]
    task_queue.purge()  # their on-commit tasks went to the test run's own broker, not the private one
    Issue.objects.filter(pk__in=[issue.pk for issue in issues]).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )
    ensure_schedules()
    Schedule.objects.update(next_run=timezone.now() + dt.timedelta(days=1))

    broker = redis_server.broker()
    start_cluster(
        qcluster,
        lambda: bool(Stat.get_all(broker=broker)),
        DJANGO_SETTINGS_MODULE="tests.faults.qcluster_settings",  # one worker
        REDIS_URL=redis_server.url,
    )
    # The single worker is busy; the assignment tasks wait in Redis.
    marker = qcluster.log_path.with_name(f"busy-{os.getpid()}.txt")
    marker.unlink(missing_ok=True)
    async_task("tests.faults.tasks.busy", 6, str(marker), broker=broker)
    wait_for(marker.exists, timeout=20, what="the worker to be busy")
    for issue in issues:
        async_task("workflows.tasks.auto_assign", issue.pk, broker=broker)
    queued = broker.queue_size()
    # The cluster's pusher already holds a task or two in its own (memory) queue; the rest wait here.
    assert queued >= 2

    redis_server.kill()
    redis_server.start()
    # Observed: the restarted Redis is empty; the queued tasks are gone.
    assert broker.queue_size() == 0
    # Observed: the cluster survives the outage (its pusher retries) and its heartbeat returns.
    wait_for(lambda: bool(Stat.get_all(broker=broker)), timeout=30, what="the cluster's heartbeat")
    assert qcluster.process.poll() is None
    # The tasks the cluster held ran once the worker was free; exactly the ones in Redis are lost.
    ids = [issue.pk for issue in issues]
    wait_for(
        lambda: Issue.objects.filter(pk__in=ids, stage="assigned").count() == ITEMS - queued,
        timeout=30,
        what="the tasks held by the cluster to run",
    )
    lost = Issue.objects.filter(pk__in=ids, stage="reported").count()
    assert lost == queued

    # Detected and re-queued from the database by the scheduled reconciler (every 10 min; due now).
    Schedule.objects.filter(name="workflows.reconcile").update(
        next_run=timezone.now() - dt.timedelta(seconds=1)
    )
    qcluster.wait_until(
        lambda: not Issue.objects.filter(pk__in=ids, stage="reported").exists(),
        timeout=60,
        what="the reconciler to re-queue the lost assignments",
    )
    keys = [f"auto_assign:{issue.pk}" for issue in issues]
    qcluster.wait_until(
        lambda: TaskAttempt.objects.filter(key__in=keys, state="done").count() == ITEMS,
        timeout=30,
        what="every assignment done",
    )
    qcluster.stop(sig=signal.SIGKILL)
    for issue in issues:
        assert StageTransition.objects.filter(issue=issue).count() == 1
        assert TaskAttempt.objects.get(key=f"auto_assign:{issue.pk}").attempts == 1
    print(f"queued before the restart: {queued}; lost and re-queued by the reconciler: {lost}")
