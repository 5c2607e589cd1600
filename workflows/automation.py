"""Business rules of the background work: auto-assignment, reminders, the overdue sweep, the
reconciler, attempt counting for poison tasks, and the notifications each move causes.

Called by the thin task functions in `workflows.tasks`; stage moves still go through
`workflows.services.transition`. Every function here is idempotent: unique constraints on
escalations, reminders and notifications make a rerun (retry, overlap, catch-up) a no-op.
"""

import logging
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    BooleanField,
    CharField,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Value,
)
from django.utils import timezone
from django.utils.translation import gettext as _

from snippets.models import Issue
from workflows import notifications as notices
from workflows import roles, services
from workflows.calendar import UnknownCalendarYear, WorkingCalendar
from workflows.choices import EscalationLevel, Stage
from workflows.models import (
    DeadlineReminder,
    Escalation,
    Notification,
    StageTransition,
    TaskAttempt,
    WorkflowSettings,
)
from workflows.stages import RECTIFYING_STAGES

logger = logging.getLogger(__name__)


def workflow_settings():
    return WorkflowSettings.load()


# --- attempt counting (RELIABILITY item 13) -------------------------------------------------------


def run_counted(key, func_name, body):
    """Run `body()` as attempt n of the logical task `key`, counting the attempt BEFORE the work.

    A task that kills its worker never reports a result, so django-q2's max_attempts does not see
    it and the broker redelivers it after `retry` seconds forever. Here the delivery after the last
    allowed attempt marks it failed, raises an alert and returns normally, so it is acknowledged.
    """
    limit = workflow_settings().max_task_attempts
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                TaskAttempt.objects.create(key=key, func=func_name)
        except IntegrityError:
            pass
        row = TaskAttempt.objects.get(key=key)
        if row.state == TaskAttempt.State.FAILED:
            return {"status": "failed", "key": key, "attempts": row.attempts}
        if row.state == TaskAttempt.State.DONE:
            # A new run of a task that completed before (e.g. re-queued by the reconciler).
            TaskAttempt.objects.filter(pk=row.pk).update(
                attempts=1, state=TaskAttempt.State.RUNNING, last_started_at=now
            )
        else:
            TaskAttempt.objects.filter(pk=row.pk).update(attempts=F("attempts") + 1, last_started_at=now)
        row.refresh_from_db()
    if row.attempts > limit:
        TaskAttempt.objects.filter(pk=row.pk).update(
            state=TaskAttempt.State.FAILED,
            finished_at=now,
            error=row.error or _("已尝试 %(n)d 次仍未完成（进程可能被终止）。") % {"n": limit},
        )
        logger.critical("Task %s (%s) failed after %d attempts; not retried again", key, func_name, limit)
        notices.notify(
            notices.users_in_role(roles.ADMINISTRATOR),
            f"task-failed:{key}",
            _("后台任务失败：%(key)s") % {"key": key},
            _("任务 %(func)s 已尝试 %(n)d 次仍未完成，已停止重试，请检查。")
            % {"func": func_name, "n": limit},
        )
        return {"status": "failed", "key": key, "attempts": limit}
    try:
        result = body()
    except Exception as exc:
        TaskAttempt.objects.filter(pk=row.pk).update(error=repr(exc)[:2000])
        raise
    TaskAttempt.objects.filter(pk=row.pk).update(state=TaskAttempt.State.DONE, finished_at=timezone.now())
    return result


@contextmanager
def sweep_lock(name):
    """At most one run of a sweep at a time: a long run never overlaps the next scheduled one.

    The lock is a TaskAttempt row taken with a conditional UPDATE; a holder older than the task
    timeout was killed by the cluster, so its lock is taken over.
    """
    key = f"sweep:{name}"
    now = timezone.now()
    stale = now - timedelta(seconds=settings.Q_CLUSTER.get("timeout", 300) + 30)
    try:
        with transaction.atomic():
            TaskAttempt.objects.create(key=key, func=name, state=TaskAttempt.State.DONE)
    except IntegrityError:
        pass
    taken = (
        TaskAttempt.objects.filter(key=key)
        .filter(~Q(state=TaskAttempt.State.RUNNING) | Q(last_started_at__lt=stale))
        .update(state=TaskAttempt.State.RUNNING, last_started_at=now, attempts=F("attempts") + 1)
    )
    if not taken:
        logger.info("Sweep %s is already running; this run is skipped", name)
        yield False
        return
    try:
        yield True
    finally:
        TaskAttempt.objects.filter(key=key).update(state=TaskAttempt.State.DONE, finished_at=timezone.now())


# --- auto-assignment -----------------------------------------------------------------------------


def auto_assign(issue_id, task_ref=""):
    """Give a reported item its category's deadline (in working days) and, where the institution
    has exactly one responsible user, that person; then move it to `assigned` as the system."""
    issue = Issue.objects.select_related("category", "institution", "responsible_person").get(pk=issue_id)
    if issue.stage != Stage.REPORTED:
        return {"status": "skipped", "stage": issue.stage}
    person = issue.responsible_person
    if person is None:
        candidates = list(issue.institution.responsible_users.filter(is_active=True)[:2])
        person = candidates[0] if len(candidates) == 1 else None
    if person is None:
        notices.notify(
            notices.users_in_role(roles.INSPECTOR),
            f"assign-manual:{issue.pk}",
            _("需人工交办：%(issue)s") % {"issue": issue},
            _("该机构没有唯一的责任单位账号，请手动指定整改责任人。"),
            issue=issue,
        )
        return {"status": "manual", "issue": issue.pk}
    try:
        deadline = WorkingCalendar().add_working_days(issue.found_on, issue.category.default_deadline_days)
    except UnknownCalendarYear as exc:
        notices.notify(
            notices.users_in_role(roles.ADMINISTRATOR),
            f"calendar-unknown:{exc.year}",
            _("工作日历缺少 %(year)d 年") % {"year": exc.year},
            str(exc),
        )
        logger.error("Cannot compute a deadline for issue %s: %s", issue.pk, exc)
        return {"status": "calendar_unknown", "year": exc.year}
    try:
        result = services.transition(
            issue.pk,
            "assign",
            None,
            expected_version=issue.stage_version,
            request_key=f"auto-assign:{issue.pk}:{issue.stage_version}",
            task_id=task_ref,
            responsible_person=person,
            deadline=deadline,
        )
    except services.TransitionConflict as exc:
        logger.info("Auto-assign of issue %s skipped: %s", issue.pk, exc.message)
        return {"status": "skipped", "issue": issue.pk}
    return {
        "status": "assigned" if result.created else "already",
        "issue": issue.pk,
        "deadline": str(deadline),
    }


# --- notifications of moves ----------------------------------------------------------------------


def notify_transition(transition_id):
    row = StageTransition.objects.select_related("issue__institution", "issue__category").get(
        pk=transition_id
    )
    issue = row.issue
    unit = notices.responsible_users(issue)
    if row.move == "assign":
        recipients, subject = unit, _("新交办整改事项：%(issue)s，期限 %(deadline)s")
    elif row.move == "acknowledge":
        recipients, subject = (
            [issue.reported_by] if issue.reported_by else [],
            _("责任单位已确认整改：%(issue)s"),
        )
    elif row.move == "submit":
        role = roles.LEADERSHIP if issue.category.closure_needs_leadership else roles.INSPECTOR
        recipients, subject = list(notices.users_in_role(role)), _("销号申请待审批：%(issue)s")
    elif row.move == "close":
        recipients, subject = (
            unit + ([issue.reported_by] if issue.reported_by else []),
            _("已销号：%(issue)s"),
        )
    elif row.move == "return":
        recipients, subject = unit, _("销号申请被退回：%(issue)s")
    else:
        recipients, subject = [], ""
    body = "\n".join(filter(None, [row.evidence, row.note and _("说明：") + row.note]))
    created = notices.notify(
        recipients,
        f"transition:{row.pk}",
        subject % {"issue": issue, "deadline": issue.deadline},
        body,
        issue=issue,
    )
    if created:
        services.queue_on_commit("workflows.tasks.deliver_notifications")
    return {"transition": row.pk, "notified": created}


# --- reminders before the deadline ---------------------------------------------------------------


def send_reminders(today=None):
    """Remind responsible users of items due within the lead time. One reminder per (item,
    deadline); an item whose deadline already passed (cluster down) gets no stale reminder: the
    overdue sweep escalates it instead."""
    today = today or timezone.localdate()
    horizon = WorkingCalendar().add_working_days(today, workflow_settings().reminder_lead_days)
    run_id = uuid.uuid4().hex
    already = DeadlineReminder.objects.filter(issue=OuterRef("pk"), deadline=OuterRef("deadline"))
    due = (
        Issue.objects.filter(stage__in=RECTIFYING_STAGES, deadline__gte=today, deadline__lte=horizon)
        .filter(~Exists(already))
        .values_list("pk", "deadline")
    )
    DeadlineReminder.objects.bulk_create(
        [DeadlineReminder(issue_id=pk, deadline=deadline, run_id=run_id) for pk, deadline in due.iterator()],
        ignore_conflicts=True,
        batch_size=2000,
    )
    by_institution = notices.responsible_user_ids_by_institution()
    template = _("整改即将到期：%(issue)s，期限 %(deadline)s")
    mine = DeadlineReminder.objects.filter(run_id=run_id)
    rows = mine.values_list(
        "issue_id",
        "deadline",
        "issue__number",
        "issue__title",
        "issue__institution_id",
        "issue__responsible_person_id",
    )

    def events():
        for issue_id, deadline, number, title, institution_id, person_id in rows.iterator(chunk_size=2000):
            recipients = set(by_institution.get(institution_id, ()))
            if person_id:
                recipients.add(person_id)
            subject = template % {"issue": f"{number} {title}", "deadline": deadline}
            yield recipients, f"reminder:{issue_id}:{deadline:%Y%m%d}", subject, "", issue_id

    sent = notices.bulk_notify(events())

    if sent:
        services.queue_on_commit("workflows.tasks.deliver_notifications")
    return {"reminded": mine.count(), "notifications": sent}


# --- the overdue sweep ---------------------------------------------------------------------------

LEVEL_RECIPIENT_ROLES = {
    EscalationLevel.REMINDER: (),
    EscalationLevel.SUPERVISION: (roles.INSPECTOR,),
    EscalationLevel.NOTICE: (roles.INSPECTOR, roles.LEADERSHIP),
}


def escalation_cutoffs(today, config=None):
    """For each level, the latest deadline that has reached it today (working days overdue)."""
    config = config or workflow_settings()
    calendar = WorkingCalendar()
    return {
        EscalationLevel.REMINDER: today - timedelta(days=1),
        EscalationLevel.SUPERVISION: calendar.subtract_working_days(today, config.supervision_after_days),
        EscalationLevel.NOTICE: calendar.subtract_working_days(today, config.notice_after_days),
    }


def escalate_overdue(today=None, notify=True):
    """Give every overdue open item the levels it has reached. Set-based: one SELECT and batched
    INSERTs per level, whatever the number of items. Each (item, level) is created once (unique
    constraint); a run notifies only the highest level it created per item; rows for an item
    closed while the sweep ran are dropped by a conditional update, logged as a skip."""
    today = today or timezone.localdate()
    run_id = uuid.uuid4().hex
    cutoffs = escalation_cutoffs(today)
    now = timezone.now()
    for level in sorted(cutoffs, reverse=True):
        reached = Escalation.objects.filter(issue=OuterRef("pk"), level=level)
        due = Issue.objects.filter(stage__in=RECTIFYING_STAGES, deadline__lte=cutoffs[level]).filter(
            ~Exists(reached)
        )
        _insert_escalations(due, level, run_id, now)
    created = Escalation.objects.filter(run_id=run_id)
    total = created.count()
    # Notify the highest level reached per item in this run, conditional on the item still being
    # open, so an approval that won the race leaves nothing to notify. Highest level first; the
    # NOT IN subquery is not correlated, so this stays set-based for any number of items.
    marked = 0
    for level in sorted(cutoffs, reverse=True):
        done = Escalation.objects.filter(run_id=run_id, notified=True).values("issue_id")
        marked += (
            Escalation.objects.filter(run_id=run_id, level=level, issue__stage__in=RECTIFYING_STAGES)
            .exclude(issue_id__in=done)
            .update(notified=True)
        )
    closed_meanwhile = Escalation.objects.filter(run_id=run_id).exclude(issue__stage__in=RECTIFYING_STAGES)
    skipped = closed_meanwhile.count()
    if skipped:
        logger.info(
            "Overdue sweep %s: %d item(s) moved on during the sweep; escalation skipped", run_id, skipped
        )
        closed_meanwhile.delete()
    notified = _notify_escalations(run_id) if notify and marked else 0
    return {
        "run": run_id,
        "escalations": total - skipped,
        "notified_items": marked,
        "skipped": skipped,
        "notifications": notified,
    }


def _insert_escalations(due, level, run_id, now):
    """INSERT ... SELECT: the database copies the due items into escalations in one statement;
    a row that exists already (another sweep got there first) is skipped by the constraint."""
    select = due.annotate(
        e_level=Value(level, output_field=IntegerField()),
        e_run=Value(run_id, output_field=CharField()),
        e_created=Value(now, output_field=DateTimeField()),
        e_notified=Value(False, output_field=BooleanField()),
    ).values_list("pk", "e_level", "e_run", "deadline", "e_created", "e_notified")
    sql, params = select.query.sql_with_params()
    table = connection.ops.quote_name(Escalation._meta.db_table)
    columns = ", ".join(
        connection.ops.quote_name(name)
        for name in ("issue_id", "level", "run_id", "deadline", "created_at", "notified")
    )
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {sql} ON CONFLICT DO NOTHING", params)


def _notify_escalations(run_id):
    """One notification per recipient for each escalation this run marked; built from plain values
    (no model instance per item), inserted in batches."""
    by_institution = notices.responsible_user_ids_by_institution()
    role_ids = {
        key: set(notices.users_in_role(key).values_list("pk", flat=True))
        for key in (roles.INSPECTOR, roles.LEADERSHIP)
    }
    labels = {level: str(label) for level, label in EscalationLevel.choices}
    template = _("逾期%(level)s：%(issue)s（期限 %(deadline)s）")
    rows = Escalation.objects.filter(run_id=run_id, notified=True).values_list(
        "issue_id",
        "level",
        "deadline",
        "issue__number",
        "issue__title",
        "issue__institution_id",
        "issue__responsible_person_id",
    )

    def events():
        for issue_id, level, deadline, number, title, institution_id, person_id in rows.iterator(
            chunk_size=2000
        ):
            recipients = set(by_institution.get(institution_id, ()))
            if person_id:
                recipients.add(person_id)
            for key in LEVEL_RECIPIENT_ROLES[level]:
                recipients |= role_ids[key]
            subject = template % {"level": labels[level], "issue": f"{number} {title}", "deadline": deadline}
            yield recipients, f"escalation:{issue_id}:{level}", subject, "", issue_id

    count = notices.bulk_notify(events())
    if count:
        services.queue_on_commit("workflows.tasks.deliver_notifications")
    return count


# --- the reconciler ------------------------------------------------------------------------------


def reconcile(grace_seconds=60):
    """Re-queue what the database says is due but no task did (lost on the Redis broker, or the
    cluster was down): reported items not yet auto-assigned, moves whose notification task did not
    complete, and notifications not yet emailed."""
    from django_q.tasks import async_task

    cutoff = timezone.now() - timedelta(seconds=grace_seconds)
    failed_keys = TaskAttempt.objects.filter(
        state=TaskAttempt.State.FAILED, key__startswith="auto_assign:"
    ).values("key")
    failed_ids = {int(key.split(":", 1)[1]) for key in failed_keys.values_list("key", flat=True)}
    reported = Issue.objects.filter(stage=Stage.REPORTED, created_at__lt=cutoff).exclude(pk__in=failed_ids)
    requeued = 0
    for issue_id in reported.values_list("pk", flat=True).iterator():
        async_task("workflows.tasks.auto_assign", issue_id)
        requeued += 1
    # Moves of the last day whose notification task neither finished nor gave up (lost, or failed
    # on a locked database): notify_transition is idempotent, so re-queueing is safe.
    recent = StageTransition.objects.filter(
        created_at__gte=timezone.now() - timedelta(days=1), created_at__lt=cutoff
    )
    settled = set(
        TaskAttempt.objects.filter(
            key__startswith="notify_transition:", state__in=[TaskAttempt.State.DONE, TaskAttempt.State.FAILED]
        ).values_list("key", flat=True)
    )
    notify_requeued = 0
    for transition_id in recent.values_list("pk", flat=True).iterator():
        if f"notify_transition:{transition_id}" not in settled:
            async_task("workflows.tasks.notify_transition", transition_id)
            notify_requeued += 1
    pending_mail = Notification.objects.filter(
        Q(email_state=Notification.EmailState.PENDING, created_at__lt=cutoff)
        | Q(email_state=Notification.EmailState.SENDING, email_claimed_at__lt=cutoff - timedelta(seconds=600))
    ).exists()
    if pending_mail:
        async_task("workflows.tasks.deliver_notifications")
    return {
        "auto_assign_requeued": requeued,
        "notify_requeued": notify_requeued,
        "mail_requeued": pending_mail,
    }
