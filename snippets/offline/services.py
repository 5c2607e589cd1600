"""What /inspect/ keeps on the phone, and applying what it queued there.

`snapshot(user)` is the data the page caches: the visits assigned to the inspector
(`permissions.assigned_visits_for`) with their checklists and institutions. `apply_operation`
applies one queued operation, keyed by the UUID the phone generated: the first request applies it
and stores its outcome in an `OfflineOperation` row (unique UUID) in the same transaction; a retry,
a double tap or a concurrent duplicate gets that stored outcome back and changes nothing.

Validation, permissions, EXIF stripping and issue raising are the admin's: `ChecklistForm` and
`OfflineIssueForm` (a subclass of the admin's `IssueForm`) clean the input, and
`snippets.services.record_answers` / `complete_visit` write it. A visit changed or closed since the
version the phone saw is a conflict (`services.VisitConflict`): reported, nothing written.
"""

import datetime
import uuid

from django.db import IntegrityError
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wagtail.log_actions import log

from snippets import permissions, services
from snippets.choices import Answer, Severity, VisitState
from snippets.forms import ChecklistForm
from snippets.models import ChecklistAnswer, Issue, IssueCategory, OfflineOperation, OfflineOperationKind
from snippets.offline.forms import OfflineIssueForm

# Done visits stay on the phone this long (read-only), so the inspector sees what was raised.
RECENT_DONE_DAYS = 7


class SyncError(Exception):
    """The operation was refused and nothing of it was written. `errors`: [{"field", "message"}]."""

    status = 400
    code = "invalid"

    def __init__(self, errors):
        super().__init__("; ".join(error["message"] for error in errors))
        self.errors = errors


class SyncForbidden(SyncError):
    status = 403
    code = "forbidden"


class SyncUnavailable(SyncError):
    """A passing fault (the photo store refused a file): the phone keeps the operation and retries."""

    status = 503
    code = "unavailable"


class SyncConflict(SyncError):
    status = 409
    code = "conflict"

    def __init__(self, message, visit=None):
        super().__init__([{"field": "version", "message": message}])
        self.visit = visit


def _error(field, message):
    return {"field": field, "message": message}


# --- Snapshot ------------------------------------------------------------------------------------


def visit_state(visit):
    return {
        "id": visit.pk,
        "version": visit.version,
        "state": visit.state,
        "state_label": visit.get_state_display(),
        "completed_at": visit.completed_at.isoformat() if visit.completed_at else None,
    }


def _answers():
    return ChecklistAnswer.objects.select_related("item__category").order_by("item__sort_order", "pk")


def _visit_data(visit):
    answers = list(visit.answers.all())  # prefetched by snapshot(), with items and categories
    if visit.state == VisitState.PLANNED:
        # The checklist the admin form would show: the items that apply to this institution.
        applicable = {answer.pk for answer in services.ensure_answers(visit)}
        if not applicable <= {answer.pk for answer in answers}:
            answers = list(_answers().filter(visit=visit))  # first opening: rows were just created
        answers = [answer for answer in answers if answer.pk in applicable]
    institution = visit.institution
    inspection_round = visit.inspection_round
    return {
        **visit_state(visit),
        "planned_on": visit.planned_on.isoformat(),
        "round": {
            "id": inspection_round.pk,
            "name": inspection_round.name,
            "mode": inspection_round.mode,
            "mode_label": inspection_round.get_mode_display(),
        },
        "institution": {
            "id": institution.pk,
            "name": institution.name,
            "kind_label": institution.get_kind_display(),
            "township": institution.township,
            "area_label": institution.get_area_display(),
            "address": institution.address,
            "contact_person": institution.contact_person,
            "contact_phone": institution.contact_phone,
        },
        "items": [
            {
                "answer": answer.pk,
                "text": answer.item.text,
                "category": answer.item.category.name,
                "result": answer.answer,
                "note": answer.note,
            }
            for answer in answers
        ],
        "issues": [
            {"number": issue.number, "title": issue.title, "stage_label": issue.get_stage_display()}
            for issue in visit.issues.all()
        ],
    }


def snapshot(user):
    """The inspector's assigned visits (planned, and done in the last days) for the phone to keep."""
    recent = timezone.now() - datetime.timedelta(days=RECENT_DONE_DAYS)
    visits = (
        permissions.assigned_visits_for(user)
        .filter(Q(state=VisitState.PLANNED) | Q(state=VisitState.DONE, completed_at__gte=recent))
        .select_related("institution", "inspection_round", "template")
        .prefetch_related(
            Prefetch("answers", queryset=_answers()),
            "template__items",
            Prefetch("issues", queryset=Issue.objects.order_by("number")),
        )
        .order_by("state", "planned_on", "pk")
    )
    return {
        "user": {"id": user.pk, "name": user.get_full_name() or user.get_username()},
        "generated_at": timezone.now().isoformat(),
        "visits": [_visit_data(visit) for visit in visits],
        "categories": [
            {"id": category.pk, "name": category.name}
            for category in IssueCategory.objects.order_by("sort_order", "name")
        ],
        "results": [{"value": value, "label": str(label)} for value, label in Answer.choices],
        "severities": [{"value": value, "label": str(label)} for value, label in Severity.choices],
    }


# --- Applying operations -------------------------------------------------------------------------


def _parse_uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError) as exc:
        raise SyncError([_error("uuid", _("操作编号无效（应为 UUID）。"))]) from exc


def _replay(op_id, user):
    """The stored outcome of an operation already applied, or None."""
    done = OfflineOperation.objects.filter(client_uuid=op_id).first()
    if done is None:
        return None
    if done.user_id != user.pk:
        raise SyncError([_error("uuid", _("操作编号已被使用。"))])
    return {**done.result, "status": "duplicate"}


def _assigned_visit(user, value):
    try:
        pk = int(value)
    except (TypeError, ValueError) as exc:
        raise SyncError([_error("visit", _("检查编号无效。"))]) from exc
    visits = permissions.assigned_visits_for(user).select_related("institution", "inspection_round")
    visit = visits.filter(pk=pk).first()
    if visit is None:
        raise SyncForbidden([_error("visit", _("该检查不存在或未分派给您。"))])
    return visit


def apply_operation(user, payload, files=None):
    """Apply one queued operation once; returns the outcome dict (status "applied" or "duplicate").
    Raises SyncError (invalid, forbidden, conflict): nothing was written then."""
    if not permissions.is_inspector(user):
        raise SyncForbidden([_error("user", _("只有督查员可以同步检查记录。"))])
    if not isinstance(payload, dict):
        raise SyncError([_error("payload", _("同步内容格式不正确。"))])
    files = files if files is not None else MultiValueDict()
    op_id = _parse_uuid(payload.get("uuid"))
    kind = payload.get("kind")
    if kind not in OfflineOperationKind.values:
        raise SyncError([_error("kind", _("操作类型无效。"))])
    replay = _replay(op_id, user)
    if replay is not None:
        return replay
    visit = _assigned_visit(user, payload.get("visit"))
    apply = _apply_checklist if kind == OfflineOperationKind.CHECKLIST else _apply_issue
    try:
        return apply(user, op_id, visit, payload, files)
    except IntegrityError:
        # A concurrent request with the same UUID committed first: give its outcome.
        replay = _replay(op_id, user)
        if replay is None:
            raise
        return replay
    except services.PhotoStorageError as exc:
        message = _("照片保存失败（存储空间不足或不可写），本次记录未保存，请稍后重试。")
        raise SyncUnavailable([_error("photos", message)]) from exc


def _conflict(visit, message=None):
    visit.refresh_from_db()
    if visit.state != VisitState.PLANNED:
        completed = visit.completed_at
        when = timezone.localtime(completed).strftime("%Y-%m-%d %H:%M") if completed else "—"
        message = _("该检查已于 %(when)s 结束，您离线填写的内容未保存。") % {"when": when}
    return SyncConflict(
        message or _("该检查在您离线期间已被修改，您离线填写的内容未保存，请核对后重新填写。"), visit
    )


FIELD_LABELS = {"answer": gettext_lazy("结果"), "note": gettext_lazy("说明"), "photos": gettext_lazy("照片")}


def _apply_checklist(user, op_id, visit, payload, files):
    try:
        version = int(payload.get("version"))
    except (TypeError, ValueError) as exc:
        raise SyncError([_error("version", _("缺少检查的版本号。"))]) from exc
    if visit.state != VisitState.PLANNED or visit.version != version:
        raise _conflict(visit)
    answers = services.ensure_answers(visit)
    by_pk = {answer.pk: answer for answer in answers}
    # Items the phone did not send keep their stored values (the form would blank them).
    data = {}
    for answer in answers:
        data[f"answer-{answer.pk}"] = answer.answer
        data[f"note-{answer.pk}"] = answer.note
    entries = payload.get("answers")
    if not isinstance(entries, list):
        raise SyncError([_error("answers", _("检查结果格式不正确。"))])
    errors = []
    for index, entry in enumerate(entries):
        answer_id = entry.get("answer") if isinstance(entry, dict) else None
        if not isinstance(answer_id, int) or answer_id not in by_pk:
            errors.append(_error(f"answers[{index}]", _("第 %(n)d 项不属于该检查。") % {"n": index + 1}))
            continue
        data[f"answer-{answer_id}"] = entry.get("result") or ""
        data[f"note-{answer_id}"] = entry.get("note") or ""
    for name in files:
        prefix, _sep, answer_id = name.partition("-")
        if prefix != "photos" or not answer_id.isdigit() or int(answer_id) not in by_pk:
            errors.append(_error(name, _("照片“%(name)s”不属于该检查的任何检查项。") % {"name": name}))
    if errors:
        raise SyncError(errors)
    form = ChecklistForm(answers, data, files)
    if not form.is_valid():
        for name, messages in form.errors.items():
            field, _sep, answer_id = name.partition("-")
            item = by_pk[int(answer_id)].item.text if answer_id.isdigit() else ""
            for message in messages:
                errors.append(
                    _error(name, f"{item} · {FIELD_LABELS.get(field, field)}：{message}" if item else message)
                )
        raise SyncError(errors)
    complete = bool(payload.get("complete"))
    try:
        with services.photo_transaction():
            operation = OfflineOperation.objects.create(
                client_uuid=op_id, user=user, kind=OfflineOperationKind.CHECKLIST, visit=visit
            )
            services.record_answers(visit, form.entries(), user, expected_version=version)
            raised = services.complete_visit(visit, user) if complete else []
            visit.refresh_from_db()
            operation.result = {
                "status": "applied",
                "kind": OfflineOperationKind.CHECKLIST,
                "visit": visit_state(visit),
                "issues": [issue.number for issue in raised],
            }
            operation.save(update_fields=["result"])
    except services.VisitConflict as exc:
        raise _conflict(visit, str(exc)) from exc
    except services.VisitError as exc:
        raise SyncError([_error("complete", str(exc))]) from exc
    return operation.result


def _apply_issue(user, op_id, visit, payload, files):
    data = {
        "title": payload.get("title") or "",
        "category": payload.get("category") or "",
        "severity": payload.get("severity") or "",
        "description": payload.get("description") or "",
        "found_on": payload.get("found_on") or timezone.localdate().isoformat(),
        "deadline": "",
        "institution": visit.institution_id,
        "visit": visit.pk,
    }
    unknown = [name for name in files if name != "photos"]
    if unknown:
        raise SyncError([_error(name, _("不支持的上传字段：%(name)s") % {"name": name}) for name in unknown])
    form = OfflineIssueForm(data, MultiValueDict({"photos": files.getlist("photos")}), for_user=user)
    if not form.is_valid():
        errors = []
        for name, messages in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            errors.extend(_error(name, f"{label}：{message}" if label else message) for message in messages)
        raise SyncError(errors)
    with services.photo_transaction():
        operation = OfflineOperation.objects.create(
            client_uuid=op_id, user=user, kind=OfflineOperationKind.ISSUE, visit=visit
        )
        issue = form.save()
        log(issue, "wagtail.create", user=user)
        operation.result = {
            "status": "applied",
            "kind": OfflineOperationKind.ISSUE,
            "visit": visit_state(visit),
            "issues": [issue.number],
        }
        operation.save(update_fields=["result"])
    return operation.result
