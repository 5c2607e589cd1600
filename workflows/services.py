"""Business rules of rectification. The ONLY code that changes `Issue.stage`.

Admin views, bulk actions, tasks, commands and the demo seeder all call `transition()`. It checks
the actor's right (the table in `workflows.stages` plus `snippets.permissions`), moves the issue with
a compare-and-set UPDATE on (stage, stage_version), appends a StageTransition row, mirrors it into
Wagtail's audit log and queues side effects with `transaction.on_commit`. A repeated request key
returns the first result without a second move.
"""

import logging
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from wagtail.log_actions import log

from snippets.choices import PhotoKind
from snippets.models import Issue
from snippets.permissions import issues_for
from workflows import roles
from workflows.choices import Stage
from workflows.models import StageTransition
from workflows.stages import MOVES, SYSTEM, moves_named

logger = logging.getLogger(__name__)


class TransitionError(Exception):
    status = 400

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class TransitionNotPermitted(TransitionError, PermissionDenied):
    status = 403


class TransitionConflict(TransitionError):
    """The item is not in the stage (or version) the move expects: someone got there first."""

    status = 409

    def __init__(self, message, latest=None):
        super().__init__(message)
        self.latest = latest


class TransitionRequirementMissing(TransitionError, ValidationError):
    status = 400

    def __init__(self, message):
        TransitionError.__init__(self, message)
        ValidationError.__init__(self, message)


@dataclass(frozen=True)
class TransitionResult:
    transition: StageTransition
    created: bool  # False: a repeated request key, nothing was done again

    @property
    def issue_id(self):
        return self.transition.issue_id


def display_name(user):
    """A person's name as the bureau writes it: family name first, no space, for Chinese names."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if first or last:
        if not (first + last).isascii():
            return f"{last}{first}"
        return f"{first} {last}".strip()
    return user.get_username()


# --- who may do what -----------------------------------------------------------------------------


def actor_roles(user):
    """Role keys of a user's explicit group memberships. A superuser gets no rectification rights
    from being a superuser: closing an item is leadership's, and separation of duties holds."""
    if user is None:
        return {SYSTEM}
    # The per-user memo the record scopes and menus share (one query per request).
    return set(roles.member_role_keys(user))


def _last_submitter_id(issue):
    last = StageTransition.objects.filter(issue_id=issue.pk, move="submit").order_by("-version").first()
    return last.actor_id if last else None


def refusal(actor, issue, move):
    """Why `actor` may not make this table row on `issue` (ignoring the current stage), or None."""
    held = actor_roles(actor) & set(move.who)
    if not held:
        return _("您的角色无权执行“%(move)s”。") % {"move": move.label}
    wanted = move.category_needs_leadership
    if wanted is not None and issue.category.closure_needs_leadership != wanted:
        return _("该类别的问题须由领导审批销号。")
    if actor is not None:
        if not issues_for(actor).filter(pk=issue.pk).exists():
            return _("您无权处理该机构的问题。")
        if move.own_institution_only and not issue.institution.responsible_users.filter(pk=actor.pk).exists():
            return _("只能处理本单位的问题。")
        if move.not_by_submitter and _last_submitter_id(issue) == actor.pk:
            return _("不能审批自己提交的销号申请。")
    return None


def permitted_move(actor, issue, name):
    """The table row `actor` may use for move `name` on `issue` (any stage), or raise."""
    # A move with one row per source stage ("resolve") is tried from the issue's own stage first.
    rows = sorted(moves_named(name), key=lambda move: move.source != issue.stage)
    if not rows:
        raise TransitionNotPermitted(_("没有这个操作。"))
    reasons = []
    for move in rows:
        reason = refusal(actor, issue, move)
        if reason is None:
            return move
        reasons.append(reason)
    raise TransitionNotPermitted(reasons[-1] if len(rows) == 1 else reasons[0])


def allowed_moves(actor, issue):
    """The moves `actor` may make on `issue` now: exactly the buttons the admin offers."""
    found = {}
    for move in MOVES:
        if move.source == issue.stage and move.name not in found and refusal(actor, issue, move) is None:
            found[move.name] = move
    return list(found.values())


# --- the move ------------------------------------------------------------------------------------


def _conflict(issue_id, move):
    """Build the 'someone got there first' error from the latest log row."""
    issue = Issue.objects.get(pk=issue_id)
    latest = StageTransition.objects.filter(issue_id=issue_id).order_by("-version").first()
    stage_label = Stage(issue.stage).label
    if latest is None or (latest.to_stage == move.source and issue.stage == move.source):
        message = _("当前阶段为“%(stage)s”，不能“%(move)s”。") % {"stage": stage_label, "move": move.label}
    else:
        message = _("已被他人处理：%(actor)s 于 %(time)s 执行了“%(done)s”，当前阶段为“%(stage)s”。") % {
            "actor": latest.actor_display,
            "time": date_format(timezone.localtime(latest.created_at), "Y-m-d H:i:s"),
            "done": _label(latest.move),
            "stage": stage_label,
        }
    return TransitionConflict(message, latest=latest)


def _label(name):
    rows = moves_named(name)
    return str(rows[0].label) if rows else name


def _replayed(request_key, issue_id, name):
    if not request_key:
        return None
    existing = StageTransition.objects.filter(request_key=request_key).first()
    if existing is None:
        return None
    if existing.issue_id != issue_id or existing.move != name:
        raise TransitionConflict(_("请求编号已用于其他操作。"))
    return TransitionResult(existing, created=False)


def _check_requirements(move, issue, note, evidence, assignment):
    if move.requires_note and not note.strip():
        raise TransitionRequirementMissing(_("请填写退回理由。"))
    if move.requires_evidence and not evidence.strip():
        raise TransitionRequirementMissing(_("请填写整改情况。"))
    needs_photos = move.checks_after_photos and issue.category.requires_after_photos
    if needs_photos and not issue.photos.filter(kind=PhotoKind.AFTER).exists():
        raise TransitionRequirementMissing(_("该类别须上传整改后照片才能申请销号。"))
    if move.name == "assign":
        if not (assignment.get("responsible_person") or issue.responsible_person_id):
            raise TransitionRequirementMissing(_("交办须指定整改责任人。"))
        if not (assignment.get("deadline") or issue.deadline):
            raise TransitionRequirementMissing(_("交办须设定整改期限。"))


def transition(
    issue_id,
    name,
    actor=None,
    *,
    expected_version=None,
    note="",
    evidence="",
    request_key=None,
    task_id="",
    responsible_person=None,
    deadline=None,
):
    """Make move `name` on the issue as `actor` (None: a background task). Returns TransitionResult.

    Raises TransitionNotPermitted (403), TransitionConflict (409, names who moved it first) or
    TransitionRequirementMissing (400). `expected_version` is the stage_version the actor saw;
    without it the version read here is used. Runs in its own transaction: if the database fails
    mid-way nothing of the move is kept.
    """
    replay = _replayed(request_key, issue_id, name)
    if replay:
        return replay
    issue = Issue.objects.select_related("category", "institution").get(pk=issue_id)
    move = permitted_move(actor, issue, name)
    version = issue.stage_version if expected_version is None else int(expected_version)
    if issue.stage != move.source or issue.stage_version != version:
        replay = _replayed(request_key, issue_id, name)
        if replay:
            return replay
        raise _conflict(issue_id, move)
    assignment = {"responsible_person": responsible_person, "deadline": deadline}
    _check_requirements(move, issue, note, evidence, assignment)

    changes = {"stage": move.target, "stage_version": F("stage_version") + 1, "updated_at": timezone.now()}
    if move.name == "assign":
        if responsible_person is not None:
            changes["responsible_person"] = responsible_person
        if deadline is not None:
            changes["deadline"] = deadline
    try:
        with transaction.atomic():
            updated = Issue.objects.filter(pk=issue_id, stage=move.source, stage_version=version).update(
                **changes
            )
            if updated != 1:
                raise _conflict(issue_id, move)
            record = StageTransition.objects.create(
                issue_id=issue_id,
                move=move.name,
                from_stage=move.source,
                to_stage=move.target,
                version=version + 1,
                actor=actor,
                actor_name=display_name(actor) if actor else "",
                note=note.strip(),
                evidence=evidence.strip(),
                task_id=task_id or "",
                request_key=request_key or None,
            )
            issue.refresh_from_db()
            log(
                instance=issue,
                action=move.action,
                user=actor,
                data={
                    "transition_id": record.pk,
                    "from": move.source,
                    "to": move.target,
                    "note": record.note,
                    "task_id": record.task_id,
                },
            )
            transaction.on_commit(lambda: _queue("workflows.tasks.notify_transition", record.pk))
    except (TransitionConflict, IntegrityError):
        # A concurrent request with the same key, or a concurrent move: report the one that won.
        replay = _replayed(request_key, issue_id, name)
        if replay:
            return replay
        raise _conflict(issue_id, move) from None
    logger.info(
        "Issue %s: %s %s -> %s by %s", issue_id, move.name, move.source, move.target, record.actor_display
    )
    return TransitionResult(record, created=True)


def _queue(func, *args):
    from django_q.tasks import async_task

    async_task(func, *args)


def queue_on_commit(func, *args):
    """Enqueue a task once the current transaction commits (never for a rolled-back change)."""
    transaction.on_commit(lambda: _queue(func, *args))
