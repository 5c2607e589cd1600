"""The ledger's business rules: imports, drafting and publishing disclosures, corrections, donor
anonymity, verification of the digest chain and timeliness. Views, commands, tasks and the
DisclosurePage's `publish` call these; nothing else writes ledger rows.
"""

import contextlib
import contextvars
import datetime as dt
import hashlib
import logging
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.log_actions import LogContext, log
from wagtail.models import Page, Workflow, WorkflowPage, WorkflowTask

from home import page_cache
from home.ledger import canonical
from home.ledger.balance import check_day, compute_day
from home.ledger.models import (
    GENESIS_DIGEST,
    DisclosureApprovalTask,
    DisclosureIndexPage,
    DisclosurePage,
    DisclosureRecord,
    Donor,
    DonorPrivate,
    EntryKind,
    ImportBatch,
    ImportStatus,
    LedgerEntry,
    LedgerSettings,
)
from workflows import roles

logger = logging.getLogger(__name__)

ASYNC_IMPORT_THRESHOLD = 3000
WORKFLOW_NAME = "捐赠公示审核"
# pg_advisory_xact_lock key of disclosure drafting (any constant unique within this database).
DRAFTING_LOCK_ID = 2026_0203
MAX_IMPORT_ATTEMPTS = 3

_bypass_moderation = contextvars.ContextVar("ledger_bypass_moderation", default=False)
# The django-q2 task running this code ({"id", "name", "group"}), set by run_as_task().
_running_task = contextvars.ContextVar("ledger_running_task", default=None)


class LedgerError(ValidationError):
    """A rule of the ledger refused an action; the message is for the user."""


class DisclosureNotBalanced(LedgerError):
    pass


# --- Imports ------------------------------------------------------------------------------------


def import_dir():
    path = Path(settings.PRIVATE_MEDIA_ROOT) / "ledger-imports"
    path.mkdir(parents=True, exist_ok=True, mode=0o750)
    return path


def async_threshold():
    return getattr(settings, "LEDGER_ASYNC_IMPORT_THRESHOLD", ASYNC_IMPORT_THRESHOLD)


def store_upload(fileobj, filename, user=None, dry_run=False):
    """Keep the uploaded file (private storage) and record it as an ImportBatch."""
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    sha = digest.hexdigest()
    batch = ImportBatch.objects.create(
        sha256=sha, filename=Path(filename or "upload.xlsx").name[:255], uploaded_by=user, dry_run=dry_run
    )
    stored = import_dir() / f"{batch.pk}-{sha[:16]}.xlsx"
    fileobj.seek(0)
    with open(stored, "wb") as out:
        for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
            out.write(chunk)
    stored.chmod(0o640)
    ImportBatch.objects.filter(pk=batch.pk).update(stored_name=stored.name)
    batch.stored_name = stored.name
    return batch


def probe_rows(path):
    """Rows declared by the sheets' <dimension> (read from the zip, not parsed); raises SpreadsheetError.

    Cheap: it decides sync or async and refuses a sheet claiming more rows or columns than the caps
    before any task is queued. It does not open the workbook with openpyxl, which would parse a
    sheet without <dimension> completely just to size it. The caps are enforced again while reading.
    """
    import re
    import zipfile

    from openpyxl.utils.cell import range_boundaries

    from home.spreadsheets import (
        DEFAULT_MAX_COLUMNS,
        DEFAULT_MAX_ROWS,
        SpreadsheetError,
        limit,
        precheck_bytes,
        precheck_zip,
    )

    max_rows = limit("SPREADSHEET_MAX_ROWS", DEFAULT_MAX_ROWS)
    max_columns = limit("SPREADSHEET_MAX_COLUMNS", DEFAULT_MAX_COLUMNS)
    message = _("超过最大行数/列数（{rows} 行、{columns} 列）").format(rows=max_rows, columns=max_columns)
    too_big = SpreadsheetError(message, "too_big")
    with open(path, "rb") as fileobj:
        precheck_bytes(fileobj.read(512))
        fileobj.seek(0)
        precheck_zip(fileobj)
        fileobj.seek(0)
        total, unsized = 0, 0
        with zipfile.ZipFile(fileobj) as archive:
            for member in archive.infolist():
                if not member.filename.startswith("xl/worksheets/sheet"):
                    continue
                with archive.open(member) as stream:
                    head = stream.read(4096).decode("utf-8", "replace")
                match = re.search(r'<(?:\w+:)?dimension\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"', head)
                if not match:
                    unsized += member.file_size
                    continue
                try:
                    _min_col, _min_row, max_col, max_row = range_boundaries(match.group(1))
                except ValueError:
                    continue
                if (max_row or 0) > max_rows + 1 or (max_col or 0) > max_columns:
                    raise too_big
                total += max_row or 0
        return total + unsized // 150


def import_ledger_file(fileobj, filename, user=None, dry_run=False, run_async=None):
    """Record the upload and import it now, or queue it when it is large. Returns the ImportBatch."""
    from home.ledger.importers import finish

    batch = store_upload(fileobj, filename, user=user, dry_run=dry_run)
    if not dry_run:
        previous = (
            ImportBatch.objects.filter(sha256=batch.sha256, status=ImportStatus.DONE, dry_run=False)
            .exclude(pk=batch.pk)
            .first()
        )
        if previous is not None:
            return finish(
                batch,
                ImportStatus.FAILED,
                _("该文件已导入（批次 #{id}，{when}），未重复导入").format(
                    id=previous.pk, when=timezone.localtime(previous.created_at).strftime("%Y-%m-%d %H:%M")
                ),
            )
    from home.spreadsheets import SpreadsheetError

    try:
        rows = probe_rows(import_dir() / batch.stored_name)
    except SpreadsheetError as exc:
        return finish(
            batch,
            ImportStatus.FAILED,
            exc.message,
            errors=[{"sheet": "", "row": None, "column": "", "reason": exc.message}],
        )
    if run_async is None:
        run_async = rows > async_threshold()
    if run_async:
        queue_import(batch)
        return batch
    return run_batch(batch.pk)


def queue_import(batch):
    from django_q.tasks import async_task

    batch_id = batch.pk
    # Only the id goes into the (pickled) payload: the file itself holds personal data.
    transaction.on_commit(
        lambda: async_task("home.ledger.tasks.import_batch", batch_id, task_name=f"ledger-import-{batch_id}")
    )


def _import_activity(batch_id, cutoff=None):
    """Record that a batch's task started or was queued now; with `cutoff`, only if the last
    activity is older (a conditional update, so two sweeps cannot both claim it). True if recorded."""
    from workflows.models import TaskAttempt

    now = timezone.now()
    key = f"ledger_import:{batch_id}"
    with transaction.atomic():
        row, created = TaskAttempt.objects.get_or_create(
            key=key,
            defaults={"func": "home.ledger.tasks.import_batch", "state": TaskAttempt.State.DONE},
        )
    rows = TaskAttempt.objects.filter(pk=row.pk)
    if cutoff is not None and not created:
        rows = rows.filter(last_started_at__lt=cutoff)
    return bool(rows.update(last_started_at=now, attempts=F("attempts") + 1))


def requeue_stuck_imports(older_than=None):
    """Re-queue imports the database says are unfinished but no task will finish (issue #9).

    The Redis broker has no receipts: a worker killed mid-import, or a Redis restart, loses the task
    and its batch stays pending or running for ever. A batch is stuck once neither its upload nor
    its last start or re-queue is more recent than the broker's own redelivery (`retry`, itself
    above the task timeout) plus a margin: by then a live task has finished or been killed.
    Re-running is safe: the import is one transaction, run_batch does nothing once the batch is
    finished, and its attempt limit still stops a poison file. Returns the re-queued batch ids.
    """
    from django_q.tasks import async_task

    if older_than is None:
        older_than = settings.Q_CLUSTER["retry"] + 60
    cutoff = timezone.now() - dt.timedelta(seconds=older_than)
    stuck = ImportBatch.objects.filter(
        status__in=[ImportStatus.PENDING, ImportStatus.RUNNING], created_at__lt=cutoff
    ).values_list("pk", flat=True)
    requeued = []
    for batch_id in stuck:
        if not _import_activity(batch_id, cutoff=cutoff):
            continue  # started or re-queued recently
        logger.warning("Ledger import batch %s is stuck (its task was lost); re-queued", batch_id)
        async_task("home.ledger.tasks.import_batch", batch_id, task_name=f"ledger-import-{batch_id}")
        requeued.append(batch_id)
    return requeued


def run_batch(batch_id):
    """Run (or re-run after a killed worker) one batch; idempotent once the batch is finished."""
    from home.ledger.importers import finish, run_import

    claimed = ImportBatch.objects.filter(
        pk=batch_id, status__in=[ImportStatus.PENDING, ImportStatus.RUNNING]
    ).update(status=ImportStatus.RUNNING, attempts=F("attempts") + 1)
    batch = ImportBatch.objects.get(pk=batch_id)
    if not claimed:
        return batch
    _import_activity(batch_id)
    if batch.attempts > MAX_IMPORT_ATTEMPTS:
        logger.error("Ledger import batch %s gave up after %s attempts", batch_id, batch.attempts - 1)
        return finish(batch, ImportStatus.FAILED, _("导入多次中断，已停止；请联系管理员"))
    path = import_dir() / batch.stored_name
    with open(path, "rb") as fileobj:
        return run_import(batch, fileobj)


# --- Corrections and donors ---------------------------------------------------------------------


def last_published_date():
    return DisclosureRecord.objects.aggregate(day=Max("disclosure_date"))["day"]


def ensure_open_day(day):
    last = last_published_date()
    if last is not None and day <= last:
        raise LedgerError(_("{day} 及之前的日期已公示冻结，不能录入；请选择之后的日期").format(day=last))


def record_entry(*, donor=None, private=None, **fields):
    """Create one ledger entry by hand (admin, demo data). `donor` is a dict of Donor fields."""
    received_at = fields.pop("received_at", None)
    if received_at is not None:
        fields["entry_date"] = timezone.localtime(received_at).date()
    ensure_open_day(fields["entry_date"])
    with transaction.atomic():
        donor_obj = Donor.objects.create(**donor) if donor else None
        if donor_obj and private:
            DonorPrivate.objects.create(donor=donor_obj, **private)
        if fields.get("kind") == EntryKind.ALLOCATION and fields.get("quantity"):
            _check_allocation_stock(fields)
        return LedgerEntry.objects.create(donor=donor_obj, **fields)


def _check_allocation_stock(fields):
    from home.ledger.balance import stock

    key = (fields["item"], fields.get("specification", ""), fields["unit"])
    available = stock([key]).get(key, 0)
    if available < fields["quantity"]:
        raise LedgerError(
            _("“{item}”库存不足：现有 {available}{unit}，拟拨付 {quantity}{unit}").format(
                item=fields["item"], available=available, unit=fields["unit"], quantity=fields["quantity"]
            )
        )


def correct_entry(original, *, number, entry_date, reason, amount=None, quantity=None, user=None):
    """A correcting entry on a later day: a reversal (default) or an adjustment by the given delta."""
    if not reason or not reason.strip():
        raise LedgerError(_("更正必须填写原因"))
    if entry_date <= original.entry_date:
        raise LedgerError(_("更正必须记在原记录之后的日期"))
    ensure_open_day(entry_date)
    if amount is None and quantity is None:
        amount = -original.amount if original.amount is not None else None
        quantity = -original.quantity if original.quantity is not None else None
    fields = {
        name: getattr(original, name)
        for name in (
            "kind",
            "donor_id",
            "channel_name",
            "purpose",
            "category",
            "item",
            "specification",
            "standard",
            "unit",
            "package_unit",
            "batch_number",
            "expiry_date",
            "receiving_point",
            "recipient_name",
            "recipient_id",
            "issue_id",
            "approver",
        )
    }
    with transaction.atomic():
        entry = LedgerEntry.objects.create(
            number=number,
            entry_date=entry_date,
            amount=amount,
            quantity=quantity,
            corrects=original,
            correction_reason=reason.strip(),
            **fields,
        )
        log(instance=entry, action="ledger.entry.correct", user=user, data={"corrects": original.number})
        page_cache.invalidate()
    return entry


def anonymise_donor(donor, *, user=None, erase_personal=True):
    """A donor withdraws consent: shown as 爱心人士 from now on; personal fields erased.

    Ledger rows are untouched (the donor name is not part of the digest), so history verifies.
    """
    with transaction.atomic():
        Donor.objects.filter(pk=donor.pk).update(
            anonymous=True, anonymised_at=timezone.now(), name="" if erase_personal else F("name")
        )
        if erase_personal:
            DonorPrivate.objects.filter(donor=donor).delete()
        donor.refresh_from_db()
        log(instance=donor, action="ledger.donor.anonymise", user=user, data={"erased": erase_personal})
        # The name is on published pages and open data: no cached copy may outlive the withdrawal.
        page_cache.invalidate()
    return donor


# --- Disclosures --------------------------------------------------------------------------------


def ensure_disclosure_index():
    """The /disclosures/ page under the home page, with leadership's approval workflow attached."""
    from home.models import HomePage

    index = DisclosureIndexPage.objects.first()
    if index is None:
        home = HomePage.objects.first()
        if home is None:
            raise LedgerError(_("尚未创建首页"))
        index = home.add_child(instance=DisclosureIndexPage(title="捐赠公示", slug="disclosures"))
        index.save_revision().publish()
    ensure_workflow(index)
    return index


def ensure_workflow(index):
    workflow, _created = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    task, _created = DisclosureApprovalTask.objects.get_or_create(name="领导审核公示")
    task.groups.set([Group.objects.get(name=roles.group_name(roles.LEADERSHIP))])
    # One step only: leadership's disclosure approval (replaces a plain group approval of old data).
    WorkflowTask.objects.filter(workflow=workflow).exclude(task=task.task_ptr).delete()
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task.task_ptr, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=index.page_ptr, defaults={"workflow": workflow})
    return workflow


def page_title(day):
    return _("{year}年{month}月{day}日捐赠公示").format(year=day.year, month=day.month, day=day.day)


def draft_disclosure(day, *, user=None, submit=True, publish=False, note=""):
    """Create or update the day's page (one per day), then submit it or publish it at once."""
    with transaction.atomic():
        _serialize_drafting()
        index = ensure_disclosure_index()
        page = DisclosurePage.objects.filter(disclosure_date=day).first()
        if page is None:
            try:
                with transaction.atomic():
                    page = index.add_child(
                        instance=DisclosurePage(
                            title=page_title(day), slug=day.isoformat(), disclosure_date=day, live=False
                        )
                    )
            except (IntegrityError, ValidationError):
                # The scheduled drafter and a manual "draft now" raced: the other one created it.
                page = DisclosurePage.objects.get(disclosure_date=day)
        page = page.specific
        if note:
            page.correction_note = note
        revision = page.save_revision(user=user, log_action=True)
    if publish:
        with bypassing_moderation():
            revision.publish(user=user, skip_permission_checks=True)
        page.refresh_from_db()
        return page
    if submit:
        submit_for_approval(page, user)
    return page


def _serialize_drafting():
    """Let one drafter at a time create the index and day pages (call inside a transaction).

    SQLite's IMMEDIATE transactions already serialise writers; PostgreSQL needs a lock, or two
    drafters both create /disclosures/ and its workflow.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DRAFTING_LOCK_ID])


def submit_for_approval(page, user=None):
    """Start leadership's moderation unless it is running; a concurrent drafter may win the race."""
    workflow = page.get_workflow()
    if workflow is None:
        return
    try:
        with transaction.atomic():
            if page.current_workflow_state is None:
                workflow.start(page, user)
    except (IntegrityError, ValidationError):
        # unique_in_progress_workflow: the scheduled and the manual draft fired together.
        logger.info("Disclosure page %s already in moderation", page.pk)


@contextlib.contextmanager
def run_as_task(task):
    """Attribute what runs inside to a django-q2 task: log entries done with user=None carry its id.

    Every Wagtail log entry written inside shares the task id as its uuid (when it is a uuid), and
    the disclosure publish entry names the task id, name and schedule in its data.
    """
    if not task or not task.get("id"):
        yield
        return
    token = _running_task.set(task)
    context = LogContext(generate_uuid=False)
    try:
        context.uuid = uuid.UUID(str(task["id"]))
    except ValueError:
        context.uuid = None
    try:
        with context:
            yield
    finally:
        _running_task.reset(token)


def task_log_data():
    task = _running_task.get()
    if not task:
        return {}
    return {"task_id": str(task["id"]), "task_name": task.get("name"), "schedule": task.get("group")}


@contextlib.contextmanager
def bypassing_moderation():
    token = _bypass_moderation.set(True)
    try:
        yield
    finally:
        _bypass_moderation.reset(token)


def publish_refusal(page, content):
    """Why this page cannot be published now (a message naming the difference), or None."""
    day = content.disclosure_date
    if page.pk and day != page.disclosure_date:
        return _("公示日期发布后不能修改")
    result = check_day(day)
    if not result.ok:
        return result.message()
    latest = DisclosureRecord.objects.filter(disclosure_date=day).order_by("-version").first()
    note = (content.correction_note or "").strip()
    if latest is not None and (not note or note == latest.reason):
        return _("该日已公示；重新发布须填写新的更正说明")
    return None


def before_publish(page, revision, user):
    """Called by DisclosurePage.publish inside its transaction: the day must balance."""
    content = revision.as_object() if revision is not None else page
    refusal = publish_refusal(page, content)
    if refusal:
        raise DisclosureNotBalanced(refusal)


def after_publish(page, revision, user):
    """Freeze the day's entries and append the day's record to the chain (same transaction)."""
    content = revision.as_object() if revision is not None else page
    day = page.disclosure_date
    result = compute_day(day)
    previous = DisclosureRecord.objects.order_by("-sequence").first()
    previous_digest = previous.digest if previous else GENESIS_DIGEST
    version = (DisclosureRecord.objects.filter(disclosure_date=day).aggregate(v=Max("version"))["v"] or 0) + 1
    rows, corrections = canonical_rows(day, version)
    totals = result.totals()
    digest = canonical.digest(
        day, version, previous_digest, [r[1] for r in rows], [c[1] for c in corrections], totals
    )
    record = DisclosureRecord.objects.create(
        disclosure_date=day,
        version=version,
        sequence=(previous.sequence + 1) if previous else 1,
        page=page,
        published_at=timezone.now(),
        published_by=user if user is not None and user.is_authenticated else None,
        bypassed_moderation=_bypass_moderation.get(),
        reason=content.correction_note.strip() if version > 1 else "",
        previous_digest=previous_digest,
        digest=digest,
        totals=totals,
        cumulative=result.cumulative,
        cumulative_cash_received=result.cumulative["cash_received"],
        cumulative_cash_allocated=result.cumulative["cash_allocated"],
        cumulative_goods_batches=result.cumulative["goods_batches"],
        row_hashes={
            "rows": {number: canonical.sha256(text) for number, text in rows},
            "corrections": {number: canonical.sha256(text) for number, text in corrections},
        },
    )
    LedgerEntry.objects.filter(entry_date=day, frozen=False).update(frozen=True)
    # Also signalled as page_published; called here too so every publish path is covered.
    page_cache.invalidate()
    log(
        instance=page,
        action="ledger.disclosure.publish",
        user=user,
        data={
            "version": version,
            "digest": digest,
            "bypassed_moderation": record.bypassed_moderation,
            **task_log_data(),
        },
    )
    return record


def canonical_rows(day, version=None, only_corrections=None):
    """[(number, line)] for the day's rows and for later corrections of them."""
    entries = (
        LedgerEntry.objects.filter(entry_date=day).select_related("donor", "corrects").order_by("number")
    )
    rows = [
        (entry.number, canonical.row_line(entry, entry.corrects.number if entry.corrects_id else None))
        for entry in entries.iterator(chunk_size=2000)
    ]
    corrections_qs = (
        LedgerEntry.objects.filter(corrects__entry_date=day, entry_date__gt=day)
        .select_related("corrects")
        .order_by("number")
    )
    if only_corrections is not None:
        corrections_qs = corrections_qs.filter(number__in=only_corrections)
    elif version == 1:
        corrections_qs = corrections_qs.none()
    corrections = [
        (entry.number, canonical.correction_line(entry, entry.corrects.number)) for entry in corrections_qs
    ]
    return rows, corrections


def verify_chain():
    """Recompute every published record from the ledger; returns [] or a list of problems, first first."""
    problems = []
    previous_digest = GENESIS_DIGEST
    for record in DisclosureRecord.objects.order_by("sequence").iterator():
        label = f"{record.disclosure_date} v{record.version}"
        if record.previous_digest != previous_digest:
            problems.append(_("{label}：上一期摘要不符（链条断开）").format(label=label))
        stored_rows = record.row_hashes.get("rows", {})
        stored_corrections = record.row_hashes.get("corrections", {})
        rows, corrections = canonical_rows(record.disclosure_date, only_corrections=list(stored_corrections))
        current = {number: canonical.sha256(text) for number, text in rows}
        for number in sorted(set(stored_rows) | set(current)):
            if number not in current:
                problems.append(_("{label}：记录 {number} 已从台账中消失").format(label=label, number=number))
            elif number not in stored_rows:
                problems.append(_("{label}：记录 {number} 是公示后补入的").format(label=label, number=number))
            elif current[number] != stored_rows[number]:
                problems.append(
                    _("{label}：记录 {number} 的内容与公示时不同").format(label=label, number=number)
                )
        current_corrections = {number: canonical.sha256(text) for number, text in corrections}
        for number, hashed in stored_corrections.items():
            if current_corrections.get(number) != hashed:
                problems.append(
                    _("{label}：更正记录 {number} 与公示时不同").format(label=label, number=number)
                )
        recomputed = canonical.digest(
            record.disclosure_date,
            record.version,
            record.previous_digest,
            [text for _n, text in rows],
            [text for _n, text in corrections],
            record.totals,
        )
        if recomputed != record.digest:
            problems.append(_("{label}：摘要与重新计算的结果不符").format(label=label))
        totals_now = _day_sums(record.disclosure_date)
        cash = record.totals["cash"]
        if totals_now != (cash["received"], cash["allocated"]):
            problems.append(_("{label}：当日现金合计与台账不符").format(label=label))
        previous_digest = record.digest
    return problems


def _day_sums(day):
    from home.ledger.balance import cash_sums

    received, allocated, _batches = cash_sums(LedgerEntry.objects.filter(entry_date=day))
    return f"{received:.2f}", f"{allocated:.2f}"


def latest_records():
    """The latest version of each published day, newest day first (one query)."""
    records = DisclosureRecord.objects.order_by("disclosure_date", "version")
    latest = {}
    for record in records.only(
        "disclosure_date",
        "version",
        "digest",
        "previous_digest",
        "totals",
        "cumulative",
        "sequence",
        "published_at",
        "cumulative_cash_received",
        "cumulative_cash_allocated",
        "cumulative_goods_batches",
        "reason",
        "page_id",
    ):
        latest[record.disclosure_date] = record
    return sorted(latest.values(), key=lambda r: r.disclosure_date, reverse=True)


# --- Timeliness --------------------------------------------------------------------------------


def undisclosed_entries(today=None, config=None):
    """Records not disclosed within the limit (a queryset; the daily brief counts it)."""
    today = today or timezone.localdate()
    config = config or LedgerSettings.load()
    disclose_by = today - dt.timedelta(days=config.disclose_within_days)
    return LedgerEntry.objects.filter(frozen=False, entry_date__lt=disclose_by).order_by(
        "entry_date", "number"
    )


def late_items(today=None):
    """Records not disclosed within the limit, and designated donations not yet allocated in time."""
    today = today or timezone.localdate()
    config = LedgerSettings.load()
    undisclosed = undisclosed_entries(today, config)
    allocate_by = today - dt.timedelta(days=config.allocate_within_days)
    designated = (
        LedgerEntry.objects.filter(
            kind__in=[EntryKind.CASH, EntryKind.GOODS], corrects__isnull=True, entry_date__lt=allocate_by
        )
        .exclude(purpose="")
        .order_by("entry_date", "number")
    )
    # A designated donation counts as allocated once an allocation links it (designated_donation).
    unallocated = list(designated.filter(designated_allocations__isnull=True).distinct())
    return {"undisclosed": undisclosed, "unallocated": unallocated}


def scheduled_draft(now=None, task=None):
    """The schedule's job: after the configured hour, draft (or refresh) yesterday's disclosure.

    `task` is the django-q2 task running it ({"id", "name", "group"}); its id goes into the log.
    """
    now = timezone.localtime(now or timezone.now())
    config = LedgerSettings.load()
    if now.hour < config.draft_hour:
        return {"drafted": None}
    day = now.date() - dt.timedelta(days=1)
    if DisclosureRecord.objects.filter(disclosure_date=day).exists():
        return {"drafted": None, "published": day.isoformat()}
    existing = DisclosurePage.objects.filter(disclosure_date=day).first()
    if existing is not None and existing.current_workflow_state is not None:
        return {"drafted": None, "in_moderation": day.isoformat()}
    with run_as_task(task):
        page = draft_disclosure(day, submit=not config.auto_publish, publish=config.auto_publish)
    return {"drafted": day.isoformat(), "page": page.pk}


def live_page_for(day):
    return Page.objects.live().type(DisclosurePage).filter(disclosurepage__disclosure_date=day).first()
