"""Business rules of the inspection records. Views, hooks and commands call these."""

import datetime
import hashlib
import json
import logging
import random
import secrets
import threading
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from snippets.choices import Answer, VisitState
from snippets.models import (
    Attachment,
    ChecklistAnswer,
    ChecklistTemplate,
    InspectionRound,
    Institution,
    Issue,
    IssueNumberCounter,
    Photo,
    Visit,
    private_storage,
)
from snippets.models.issues import ISSUE_NUMBER_PREFIX
from workflows import roles
from workflows.dashboard import cache as dashboard_cache

logger = logging.getLogger(__name__)
User = get_user_model()


def allocate_issue_number(year=None):
    """Next `ZG-<year>-NNNN`. The counter only goes up, so a number is never reused, even if the
    issue that took it is deleted or its transaction rolls back after the counter committed."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        updated = IssueNumberCounter.objects.filter(year=year).update(last_value=F("last_value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    IssueNumberCounter.objects.create(year=year, last_value=1)
            except IntegrityError:
                # Another writer created the row first: take the next value from it.
                IssueNumberCounter.objects.filter(year=year).update(last_value=F("last_value") + 1)
        value = IssueNumberCounter.objects.get(year=year).last_value
    return f"{ISSUE_NUMBER_PREFIX}-{year}-{value:04d}"


def allocate_issue_numbers(count, year=None):
    """`count` consecutive numbers in one counter bump (the shortage sweep raises in bulk)."""
    year = year or timezone.localdate().year
    if count <= 0:
        return []
    with transaction.atomic():
        updated = IssueNumberCounter.objects.filter(year=year).update(last_value=F("last_value") + count)
        if not updated:
            try:
                with transaction.atomic():
                    IssueNumberCounter.objects.create(year=year, last_value=count)
            except IntegrityError:
                IssueNumberCounter.objects.filter(year=year).update(last_value=F("last_value") + count)
        last = IssueNumberCounter.objects.get(year=year).last_value
    return [f"{ISSUE_NUMBER_PREFIX}-{year}-{value:04d}" for value in range(last - count + 1, last + 1)]


# --- Photos ------------------------------------------------------------------------------------


class PhotoStorageError(Exception):
    """The photo store refused a file (disk full, permissions): nothing of the request is kept."""


def store_photos(clean_images, actor, *, issue=None, answer=None, saved_names=None):
    """Save sanitised images as Photo rows. Call inside a transaction; `saved_names` collects the
    stored file names so the caller can delete them if the transaction rolls back."""
    photos = []
    for clean in clean_images:
        photo = Photo(
            original_name=clean.name[:255],
            width=clean.width,
            height=clean.height,
            content_type=clean.content_type,
            issue=issue,
            answer=answer,
            uploaded_by=actor,
        )
        photo.file.save(clean.name, ContentFile(clean.content), save=False)
        if saved_names is not None:
            saved_names.append(photo.file.name)
        photo.save()
        photos.append(photo)
    return photos


def store_attachments(clean_files, actor, *, issue, saved_names=None):
    """Save checked attachments (`snippets.attachments.CleanAttachment`) of an issue; same
    contract as `store_photos`: call inside `photo_transaction()`."""
    stored = []
    for clean in clean_files:
        attachment = Attachment(
            issue=issue,
            original_name=clean.name[:255],
            content_type=clean.content_type,
            size=clean.size,
            uploaded_by=actor,
        )
        attachment.file.save(clean.name, ContentFile(clean.content), save=False)
        if saved_names is not None:
            saved_names.append(attachment.file.name)
        attachment.save()
        stored.append(attachment)
    return stored


def _delete_files(names):
    for name in names:
        try:
            private_storage.delete(name)
        except OSError:
            logger.warning("Could not delete orphan private file %s", name)


_open_photo_transaction = threading.local()


@contextmanager
def photo_transaction():
    """One transaction for rows and files: if anything fails, the rows roll back and the files
    already written are deleted; a storage fault becomes PhotoStorageError.

    Nested (an offline sync wraps `record_answers` and `complete_visit` in one), the inner block
    shares the outer one's file list, so a rollback of the outer deletes the inner's files too."""
    outer = getattr(_open_photo_transaction, "names", None)
    if outer is not None:
        with transaction.atomic():
            yield outer
        return
    saved_names = []
    _open_photo_transaction.names = saved_names
    try:
        with transaction.atomic():
            yield saved_names
    except OSError as exc:
        _delete_files(saved_names)
        logger.exception("Photo storage failed")
        raise PhotoStorageError(str(exc)) from exc
    except BaseException:
        _delete_files(saved_names)
        raise
    finally:
        _open_photo_transaction.names = None


def _cleanup_orphan_files(folder, model, min_age_seconds):
    """Delete files in `folder` of the private store with no `model` row (a crash between file
    write and commit). Files younger than `min_age_seconds` may belong to a request still in
    progress and are left alone."""
    try:
        _dirs, files = private_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    known = set(model.objects.values_list("file", flat=True))
    cutoff = timezone.now() - datetime.timedelta(seconds=min_age_seconds)
    deleted = 0
    for filename in files:
        name = f"{folder}/{filename}"
        if name in known:
            continue
        if private_storage.get_modified_time(name) > cutoff:
            continue
        private_storage.delete(name)
        deleted += 1
    return deleted


def cleanup_orphan_photo_files(min_age_seconds=3600):
    return {"deleted": _cleanup_orphan_files("photos", Photo, min_age_seconds)}


def cleanup_orphan_attachment_files(min_age_seconds=3600):
    return {"deleted": _cleanup_orphan_files("attachments", Attachment, min_age_seconds)}


# --- Issues ------------------------------------------------------------------------------------


def default_deadline(category, found_on):
    return found_on + datetime.timedelta(days=category.default_deadline_days)


def create_issue(issue, clean_images, actor):
    """Save a new issue (from a form, unsaved) and its photos in one transaction."""
    if issue.reported_by_id is None:
        issue.reported_by = actor
    if not issue.deadline:
        issue.deadline = default_deadline(issue.category, issue.found_on)
    if not issue.severity:
        issue.severity = issue.category.default_severity
    with photo_transaction() as saved_names:
        issue.save()
        store_photos(clean_images, actor, issue=issue, saved_names=saved_names)
    return issue


# --- Visits and checklists ---------------------------------------------------------------------


class VisitError(Exception):
    pass


class VisitConflict(VisitError):
    """The visit changed (or was closed) since the version the client saw: nothing was written."""


def ensure_answers(visit):
    """One answer row per checklist item that applies to the institution (idempotent)."""
    if visit.template_id is None:
        visit.template = ChecklistTemplate.for_kind(visit.institution.kind)
        if visit.template is None:
            return []
        Visit.objects.filter(pk=visit.pk).update(template=visit.template)
    existing = {answer.item_id: answer for answer in visit.answers.all()}
    answers = []
    for item in visit.template.items_for(visit.institution.kind):
        answer = existing.get(item.pk)
        if answer is None:
            answer, _created = ChecklistAnswer.objects.get_or_create(visit=visit, item=item)
        answers.append(answer)
    return answers


def record_answers(visit, entries, actor, expected_version=None):
    """Write the checklist of a planned visit. `entries` maps answer id -> (answer, note, images).
    Raises PhotoStorageError when a photo cannot be stored (nothing is kept then).

    Every write bumps `visit.version`. With `expected_version` (an offline client's copy) the bump
    is a compare-and-set: if the visit moved on or was closed meanwhile, VisitConflict and nothing
    is written."""
    if visit.state != VisitState.PLANNED:
        raise VisitError(_("该检查已结束，不能再修改。"))
    answers = {answer.pk: answer for answer in ensure_answers(visit)}
    with photo_transaction() as saved_names:
        current = Visit.objects.filter(pk=visit.pk, state=VisitState.PLANNED)
        if expected_version is not None:
            current = current.filter(version=expected_version)
        if not current.update(version=F("version") + 1):
            raise VisitConflict(_("该检查已被他人修改或已结束，本次填写未保存，请刷新后重试。"))
        visit.version = Visit.objects.values_list("version", flat=True).get(pk=visit.pk)
        for answer_id, (value, note, images) in entries.items():
            answer = answers.get(answer_id)
            if answer is None:
                continue
            answer.answer = value
            answer.note = note
            answer.save(update_fields=["answer", "note"])
            store_photos(images, actor, answer=answer, saved_names=saved_names)


def complete_visit(visit, actor):
    """Mark a planned visit done and raise one issue per failed item. Completing twice, or two
    inspectors at once, raises nothing more: only the request that moves the state raises issues,
    and an answer can carry only one issue (unique constraint)."""
    answers = ensure_answers(visit)
    unanswered = [answer.item.text for answer in answers if not answer.answer]
    if unanswered:
        raise VisitError(_("还有检查项未填写：%(items)s") % {"items": "；".join(unanswered)})
    with transaction.atomic():
        now = timezone.now()
        moved = Visit.objects.filter(pk=visit.pk, state=VisitState.PLANNED).update(
            state=VisitState.DONE, completed_at=now, completed_by=actor, version=F("version") + 1
        )
        if not moved:
            return []
        # `update()` sends no save signal: the dashboard's visit and pass-rate figures change.
        transaction.on_commit(dashboard_cache.invalidate, robust=True)
        visit.refresh_from_db()
        found_on = timezone.localdate(now)
        raised = []
        failed = visit.answers.filter(answer=Answer.FAIL, raised_issue__isnull=True).select_related(
            "item__category"
        )
        for answer in failed:
            item = answer.item
            issue = Issue.objects.create(
                title=item.text[:200],
                description=answer.note,
                category=item.category,
                institution=visit.institution,
                visit=visit,
                checklist_answer=answer,
                found_on=found_on,
                reported_by=actor,
                severity=item.severity,
                deadline=default_deadline(item.category, found_on),
            )
            # The answer's photos are the issue's evidence too.
            answer.photos.update(issue=issue)
            raised.append(issue)
    return raised


# --- Random draw (双随机) ----------------------------------------------------------------------


class DrawError(Exception):
    pass


def commitment_of(seed, result):
    """SHA-256 of the canonical JSON of (seed, result): sorted keys, no spaces, UTF-8."""
    canonical = json.dumps({"result": result, "seed": seed}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def compute_draw(seed, institutions, inspectors, count, per_visit):
    """Pure function of its inputs, so anyone can re-run it with the revealed seed.

    `institutions` and `inspectors` are lists of [id, township] sorted by id. Returns
    {"visits": [[institution_id, [inspector ids]], ...]}. An inspector is never drawn for an
    institution in their own township.
    """
    rng = random.Random(seed)  # noqa: S311 - reproducibility is the point; the seed is secret until revealed
    if count > len(institutions):
        raise DrawError(_("可抽取的机构只有 %(n)d 家。") % {"n": len(institutions)})
    chosen = rng.sample(institutions, count)
    visits = []
    for institution_id, township in sorted(chosen):
        eligible = [pk for pk, home in inspectors if not home or home != township]
        if len(eligible) < per_visit:
            raise DrawError(
                _("乡镇“%(township)s”可派的督查员不足 %(n)d 人（督查员不得检查本乡镇机构）。")
                % {"township": township, "n": per_visit}
            )
        visits.append([institution_id, sorted(rng.sample(eligible, per_visit))])
    return {"visits": visits}


def draw_candidates(inspection_round):
    institutions = Institution.objects.order_by("pk")
    if inspection_round.draw_kinds:
        institutions = institutions.filter(kind__in=inspection_round.draw_kinds)
    team = inspection_round.team.all()
    if not team.exists():
        team = User.objects.filter(groups__name=roles.group_name(roles.INSPECTOR), is_active=True)
    inspectors = [
        [user.pk, getattr(getattr(user, "inspector_profile", None), "township", "")]
        for user in team.select_related("inspector_profile").order_by("pk").distinct()
    ]
    return {
        "institutions": [[pk, township] for pk, township in institutions.values_list("pk", "township")],
        "inspectors": inspectors,
    }


def draw_round(inspection_round, actor, seed=None):
    """Draw, seal and create the visits of a round. Refused once sealed (the draw happens once)."""
    seed = seed or secrets.token_hex(16)
    candidates = draw_candidates(inspection_round)
    drawn = compute_draw(
        seed,
        candidates["institutions"],
        candidates["inspectors"],
        inspection_round.draw_institution_count,
        inspection_round.draw_inspectors_per_visit,
    )
    result = {
        "candidates": candidates,
        "institution_count": inspection_round.draw_institution_count,
        "inspectors_per_visit": inspection_round.draw_inspectors_per_visit,
        **drawn,
    }
    commitment = commitment_of(seed, result)
    with transaction.atomic():
        sealed = InspectionRound.objects.filter(pk=inspection_round.pk, sealed_at__isnull=True).update(
            draw_seed=seed, draw_result=result, draw_commitment=commitment, sealed_at=timezone.now()
        )
        if not sealed:
            raise DrawError(_("该轮次已抽取并封存，不能重新抽取。"))
        inspection_round.refresh_from_db()
        span = (inspection_round.ends_on - inspection_round.starts_on).days + 1
        institutions = Institution.objects.in_bulk([pk for pk, _ids in drawn["visits"]])
        for index, (institution_id, inspector_ids) in enumerate(drawn["visits"]):
            institution = institutions[institution_id]
            visit, _created = Visit.objects.get_or_create(
                inspection_round=inspection_round,
                institution=institution,
                defaults={
                    "planned_on": inspection_round.starts_on + datetime.timedelta(days=index % span),
                    "template": ChecklistTemplate.for_kind(institution.kind),
                },
            )
            # Lists of pks: modelcluster writes these straight to the database.
            visit.inspectors.set(list(inspector_ids))
        covered = set(inspection_round.institutions.values_list("pk", flat=True)) | set(institutions)
        inspection_round.institutions.set(sorted(covered))
    return inspection_round


def verify_draw(inspection_round):
    """Re-run a revealed draw and check it against the stored result and commitment."""
    if not inspection_round.seed_revealed:
        raise DrawError(_("随机种子在轮次结束后才公开。"))
    return verify_published_draw(
        inspection_round.draw_seed, inspection_round.draw_result, inspection_round.draw_commitment
    )


def verify_published_draw(seed, result, commitment):
    if commitment_of(seed, result) != commitment:
        return False
    candidates = result["candidates"]
    rerun = compute_draw(
        seed,
        [list(row) for row in candidates["institutions"]],
        [list(row) for row in candidates["inspectors"]],
        result["institution_count"],
        result["inspectors_per_visit"],
    )
    return rerun["visits"] == result["visits"]


# --- Supply shortages (the supplies loop, rules in snippets.stock) -----------------------------

SHORTAGE_CATEGORY_CODE = "supply-shortage"


def shortage_title(goods, on_hand, daily_use, threshold):
    return _("%(goods)s库存不足：可用 %(cover)s 天（阈值 %(threshold)d 天）") % {
        "goods": goods,
        "cover": f"{on_hand / daily_use:.1f}",
        "threshold": threshold,
    }


def raise_supply_shortages(candidates, found_on=None):
    """Raise one supply-shortage issue per candidate in bulk: a constant number of queries.

    `candidates`: dicts of institution_id, goods (a GoodsItem), day, on_hand, daily_use, threshold.
    The partial unique constraint on open SupplyShortage rows refuses a second open shortage of
    the same institution and item; if a concurrent run got there first the whole batch rolls back
    and each candidate is retried alone, so every pair is raised exactly once. The issues are
    auto-assigned by one task queued on commit (post_save does not fire for bulk_create).
    """
    if not candidates:
        return []
    try:
        with transaction.atomic():
            raised = _create_shortages(candidates, found_on)
    except IntegrityError:
        raised = []
        for candidate in candidates:
            try:
                with transaction.atomic():
                    raised.extend(_create_shortages([candidate], found_on))
            except IntegrityError:
                logger.info(
                    "Supply shortage of institution %s, goods %s already open",
                    candidate["institution_id"],
                    candidate["goods"].pk,
                )
    if raised:
        issue_ids = [shortage.issue_id for shortage in raised]
        transaction.on_commit(lambda: _queue("snippets.tasks.assign_shortage_issues", issue_ids))
    return raised


def _create_shortages(candidates, found_on):
    from snippets.models import IssueCategory, SupplyShortage

    found_on = found_on or timezone.localdate()
    category = IssueCategory.objects.get(code=SHORTAGE_CATEGORY_CODE)
    numbers = allocate_issue_numbers(len(candidates), found_on.year)
    issues = Issue.objects.bulk_create(
        [
            Issue(
                number=number,
                title=shortage_title(c["goods"], c["on_hand"], c["daily_use"], c["threshold"])[:200],
                description=_("%(day)s 物资日报：库存 %(on_hand)d%(unit)s，日消耗 %(use)d%(unit)s。")
                % {"day": c["day"], "on_hand": c["on_hand"], "use": c["daily_use"], "unit": c["goods"].unit},
                category=category,
                institution_id=c["institution_id"],
                found_on=found_on,
                severity=category.default_severity,
                deadline=default_deadline(category, found_on),
            )
            for number, c in zip(numbers, candidates, strict=True)
        ]
    )
    shortages = SupplyShortage.objects.bulk_create(
        [
            SupplyShortage(
                institution_id=c["institution_id"],
                goods=c["goods"],
                issue=issue,
                day=c["day"],
                on_hand=c["on_hand"],
                daily_use=c["daily_use"],
                threshold_days=c["threshold"],
            )
            for issue, c in zip(issues, candidates, strict=True)
        ]
    )
    for shortage in shortages:
        logger.info(
            "Supply shortage raised: institution %s, goods %s, issue %s",
            shortage.institution_id,
            shortage.goods_id,
            shortage.issue.number,
        )
    return shortages


def _queue(func, *args):
    from django_q.tasks import async_task

    async_task(func, *args)
