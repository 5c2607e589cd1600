"""Import of the ledger workbook (three sheets: cash, goods, allocations): all rows or none.

Entry points: `home.ledger.services.import_ledger_file` (admin upload and `import_ledger` command)
and the django-q2 task `home.ledger.tasks.import_batch` for large files. Rows are streamed from
openpyxl's read-only mode through `home.spreadsheets`, validated, and inserted in chunks inside one
transaction that is rolled back if any row of the file is invalid (or on a dry run).
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from home import page_cache
from home.ledger.models import (
    DisclosureRecord,
    Donor,
    DonorPrivate,
    DonorType,
    EntryKind,
    GoodsCategory,
    ImportBatch,
    ImportStatus,
    LedgerEntry,
)
from home.spreadsheets import (
    CellError,
    Column,
    ErrorReport,
    SheetSpec,
    SpreadsheetError,
    open_workbook,
    parse_amount,
    parse_bool,
    parse_choice,
    parse_date,
    parse_int,
    parse_text,
    read_sheet,
)

logger = logging.getLogger(__name__)

CHUNK = 2000
PROGRESS_EVERY = 200


def _number(value):
    text = parse_text(value, max_length=40)
    return text.upper().replace(" ", "")


def _number_or_none(value):
    return _number(value) or None


def _text(max_length):
    return lambda value: parse_text(value, max_length=max_length)


DONOR_COLUMNS = (
    Column("donor_name", "捐赠人", _text(200), required=False, width=18, example="张三"),
    Column(
        "donor_type",
        "捐赠人类型",
        parse_choice(DonorType.choices),
        width=12,
        example=str(DonorType.INDIVIDUAL.label),
    ),
    Column("anonymous", "是否匿名", parse_bool, required=False, width=10, example="否"),
)
PRIVATE_COLUMNS = (
    Column("phone", "联系电话", _text(40), required=False, width=16, example="13800000000"),
    Column("id_number", "证件号码", _text(40), required=False, width=22, example=""),
    Column("note", "备注", _text(1000), required=False, width=20, example=""),
)

CASH_SHEET = SheetSpec(
    name="现金捐赠",
    columns=(
        Column("number", "收据编号", _number, width=16, example="XJ20200203001"),
        Column("entry_date", "收款日期", parse_date, width=12, example="2020-02-03"),
        *DONOR_COLUMNS,
        Column("amount", "金额（元）", parse_amount, width=14, example="1,000.00"),
        Column("channel_name", "捐赠渠道", _text(200), required=False, width=18, example="银行转账"),
        Column("purpose", "定向用途", _text(200), required=False, width=18, example=""),
        *PRIVATE_COLUMNS,
    ),
)
GOODS_SHEET = SheetSpec(
    name="物资捐赠",
    columns=(
        Column("number", "收据编号", _number, width=16, example="WZ20200203001"),
        Column("entry_date", "接收日期", parse_date, width=12, example="2020年2月3日"),
        *DONOR_COLUMNS,
        Column("category", "物资类别", parse_choice(GoodsCategory.choices), width=12, example="口罩"),
        Column("item", "物资名称", _text(200), width=18, example="医用防护口罩"),
        Column("specification", "规格型号", _text(200), required=False, width=16, example="N95 折叠式"),
        Column("standard", "执行标准", _text(100), required=False, width=16, example="GB 19083-2010"),
        Column("unit", "计量单位", _text(20), width=10, example="只"),
        Column("quantity", "数量", parse_int, width=10, example=10000),
        Column("package_unit", "包装单位", _text(50), required=False, width=14, example="箱（500只）"),
        Column("batch_number", "批号", _text(100), required=False, width=14, example="20200115"),
        Column("expiry_date", "有效期至", parse_date, required=False, width=12, example="2022/1/14"),
        Column("estimated_value", "估值（元）", parse_amount, required=False, width=14, example="¥35,000"),
        Column("receiving_point", "接收点", _text(200), required=False, width=16, example="市民政局仓库"),
        Column("purpose", "定向用途", _text(200), required=False, width=18, example=""),
        *PRIVATE_COLUMNS,
    ),
)
ALLOCATION_SHEET = SheetSpec(
    name="分配拨付",
    columns=(
        Column("number", "拨付单号", _number, width=16, example="BF20200203001"),
        Column("entry_date", "拨付日期", parse_date, width=12, example="2020-02-03"),
        Column("recipient_name", "接收单位", _text(200), width=22, example="城关镇敬老院"),
        Column("amount", "现金金额（元）", parse_amount, required=False, width=14, example=""),
        Column("item", "物资名称", _text(200), required=False, width=18, example="医用防护口罩"),
        Column("specification", "规格型号", _text(200), required=False, width=16, example="N95 折叠式"),
        Column("unit", "计量单位", _text(20), required=False, width=10, example="只"),
        Column("quantity", "数量", parse_int, required=False, width=10, example=2000),
        Column("purpose", "用途", _text(200), width=18, example="一线护理人员防护"),
        Column("approver", "审批人", _text(100), width=12, example="李四"),
        Column("issue_number", "问题编号", _text(20), required=False, width=14, example=""),
        Column("designated_number", "定向捐赠编号", _number_or_none, required=False, width=16, example=""),
    ),
)
SHEETS = (
    (CASH_SHEET, EntryKind.CASH),
    (GOODS_SHEET, EntryKind.GOODS),
    (ALLOCATION_SHEET, EntryKind.ALLOCATION),
)

TEMPLATE_NOTES = [
    gettext_lazy("一个文件包含三个工作表：现金捐赠、物资捐赠、分配拨付；表头请勿修改，可以增加列。"),
    gettext_lazy(
        "第二行是示例，导入前请删除。带 * 的概念：收据编号在整个台账中唯一，重复导入同一行会被跳过。"
    ),
    gettext_lazy(
        "金额可写 1,000.00、¥500、500元；日期可写 2020-02-03、2020/2/3、2020年2月3日 或 Excel 日期。"
    ),
    gettext_lazy("捐赠人类型填“个人”或“单位”；匿名捐赠在“是否匿名”填“是”，公示时显示为“爱心人士”。"),
    gettext_lazy("物资数量按最小计量单位填写（如“只”），包装单位另填；请填写执行标准（如 GB 19083-2010）。"),
    gettext_lazy("联系电话、证件号码、备注只供内部使用，不会公开。"),
    gettext_lazy("分配拨付：现金金额与物资（名称、计量单位、数量）至少填一项；不能超过库存。"),
    gettext_lazy("不接受公式：请粘贴为数值。任何一行有错误时，整个文件都不会导入。"),
]

DONATION_FIELDS = ("number", "kind", "entry_date", "amount", "channel_name", "purpose")
GOODS_FIELDS = (
    "category",
    "item",
    "specification",
    "standard",
    "unit",
    "quantity",
    "package_unit",
    "batch_number",
    "expiry_date",
    "estimated_value",
    "receiving_point",
)
ALLOCATION_FIELDS = ("recipient_name", "item", "specification", "unit", "quantity", "approver")


def entry_fields(kind):
    if kind == EntryKind.CASH:
        return DONATION_FIELDS
    if kind == EntryKind.GOODS:
        return DONATION_FIELDS + GOODS_FIELDS
    return DONATION_FIELDS + ALLOCATION_FIELDS


def _signature(kind, values, donor):
    fields = tuple((name, _norm(values.get(name))) for name in entry_fields(kind) if name != "kind")
    return (kind, fields, donor)


def _norm(value):
    if value is None:
        return ""
    return str(value)


def _entry_signature(entry):
    values = {name: getattr(entry, name) for name in entry_fields(entry.kind)}
    donor = (entry.donor.name, entry.donor.donor_type, entry.donor.anonymous) if entry.donor_id else None
    return _signature(entry.kind, values, donor)


def progress_cache():
    return caches[settings.Q_CLUSTER.get("cache", "default")]


def progress_key(batch_id):
    return f"ledger-import-progress-{batch_id}"


class _Rollback(Exception):
    pass


@dataclass
class ImportOutcome:
    report: ErrorReport
    counts: dict
    skipped: int
    total_rows: int


class LedgerImporter:
    """One pass over one workbook for one ImportBatch."""

    def __init__(self, batch, dry_run=False):
        self.batch = batch
        self.dry_run = dry_run
        self.report = ErrorReport()
        self.seen = {}
        self.counts = {EntryKind.CASH: 0, EntryKind.GOODS: 0, EntryKind.ALLOCATION: 0}
        self.skipped = 0
        self.total_rows = 0
        self.goods_delta = {}
        self.last_allocation_row = {}
        last = (
            DisclosureRecord.objects.order_by("-disclosure_date")
            .values_list("disclosure_date", flat=True)
            .first()
        )
        self.frozen_until = last
        self.cache = progress_cache()

    def run(self, fileobj):
        workbook = open_workbook(fileobj)
        try:
            with transaction.atomic():
                for spec, kind in SHEETS:
                    self._sheet(workbook, spec, kind)
                self._check_stock()
                if self.report or self.dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        finally:
            workbook.close()
        return ImportOutcome(self.report, self.counts, self.skipped, self.total_rows)

    def run_rows(self, rows):
        """The same checks and writes as `run` for rows already parsed (`parse_row`): the admin's
        hand entry. `rows` is [(kind, row_number, values)]; nothing is written on any error."""
        try:
            with transaction.atomic():
                for spec, kind in SHEETS:
                    self._rows(spec, kind, ((n, v) for k, n, v in rows if k == kind))
                self._check_stock()
                if self.report or self.dry_run:
                    raise _Rollback
        except _Rollback:
            pass
        return ImportOutcome(self.report, self.counts, self.skipped, self.total_rows)

    def _sheet(self, workbook, spec, kind):
        self._rows(spec, kind, read_sheet(workbook, spec, self.report))

    def _rows(self, spec, kind, rows):
        pending = []
        for row_number, values in rows:
            self.total_rows += 1
            if self.total_rows % PROGRESS_EVERY == 0:
                self.cache.set(progress_key(self.batch.pk), self.total_rows, 3600)
            if self._validate(spec, kind, row_number, values):
                pending.append((row_number, values))
            if len(pending) >= CHUNK:
                self._flush(spec, kind, pending)
                pending = []
        self._flush(spec, kind, pending)

    def _error(self, spec, row_number, header, reason):
        self.report.add(spec.name, row_number, header, reason)

    def _validate(self, spec, kind, row_number, values):
        ok = True
        number = values["number"]
        number_header = spec.columns[0].header
        if number in self.seen:
            sheet, row = self.seen[number]
            self._error(
                spec,
                row_number,
                number_header,
                _("单据编号与{sheet}第 {row} 行重复").format(sheet=sheet, row=row),
            )
            ok = False
        else:
            self.seen[number] = (spec.name, row_number)
        if kind != EntryKind.ALLOCATION and not values.get("anonymous") and not values.get("donor_name"):
            self._error(spec, row_number, "捐赠人", _("非匿名捐赠须填写捐赠人"))
            ok = False
        if kind == EntryKind.ALLOCATION:
            has_goods = any(values.get(name) for name in ("item", "unit", "quantity"))
            if has_goods and not all(values.get(name) for name in ("item", "unit", "quantity")):
                self._error(spec, row_number, "数量", _("物资拨付须同时填写物资名称、计量单位和数量"))
                ok = False
            elif not has_goods and values.get("amount") is None:
                self._error(spec, row_number, "现金金额（元）", _("现金金额与物资至少填写一项"))
                ok = False
        if ok and values.get("quantity") is not None:
            key = (values["item"], values.get("specification") or "", values["unit"])
            sign = 1 if kind == EntryKind.GOODS else -1
            self.goods_delta[key] = self.goods_delta.get(key, 0) + sign * values["quantity"]
            if kind == EntryKind.ALLOCATION:
                self.last_allocation_row[key] = row_number
        return ok

    def _flush(self, spec, kind, pending):
        if pending:
            self.cache.set(progress_key(self.batch.pk), self.total_rows, 3600)
        if not pending or self.report:
            return
        numbers = [values["number"] for _row, values in pending]
        existing = {
            entry.number: entry
            for entry in LedgerEntry.objects.filter(number__in=numbers).select_related("donor")
        }
        issues = self._issues(pending) if kind == EntryKind.ALLOCATION else {}
        designated = self._designated(pending) if kind == EntryKind.ALLOCATION else {}
        institutions = self._institutions(pending) if kind == EntryKind.ALLOCATION else {}
        channels = self._channels(pending) if kind != EntryKind.ALLOCATION else {}
        new_rows = []
        for row_number, values in pending:
            values["kind"] = kind
            donor = None
            if kind != EntryKind.ALLOCATION:
                donor = (values.get("donor_name") or "", values["donor_type"], bool(values.get("anonymous")))
            old = existing.get(values["number"])
            if old is not None:
                if _entry_signature(old) == _signature(kind, values, donor):
                    self.skipped += 1
                else:
                    self._error(
                        spec, row_number, spec.columns[0].header, _("单据编号已存在于台账中，但内容不同")
                    )
                continue
            if self.frozen_until and values["entry_date"] <= self.frozen_until:
                self._error(
                    spec,
                    row_number,
                    spec.columns[1].header,
                    _("{day} 及之前的日期已公示冻结，不能补录；请在之后的日期录入更正").format(
                        day=self.frozen_until
                    ),
                )
                continue
            issue_number = values.get("issue_number")
            if issue_number and issue_number not in issues:
                self._error(spec, row_number, "问题编号", _("未找到该问题编号"))
                continue
            designated_number = values.get("designated_number")
            if designated_number and designated_number not in designated:
                self._error(
                    spec, row_number, "定向捐赠编号", _("未找到该定向捐赠（须为台账中填写了定向用途的捐赠）")
                )
                continue
            values["designated_donation_id"] = designated.get(designated_number)
            new_rows.append((row_number, values, donor, issues.get(issue_number), institutions))
        if self.report:
            return
        donor_ids = insert_returning_ids(
            Donor,
            [{"name": d[0], "donor_type": d[1], "anonymous": d[2]} for _r, _v, d, _i, _s in new_rows if d],
        )
        donor_iter = iter(donor_ids)
        privates, entries = [], []
        for row_number, values, donor_key, issue, institution_map in new_rows:
            donor_id = next(donor_iter) if donor_key is not None else None
            if donor_id is not None and any(values.get(name) for name in ("phone", "id_number", "note")):
                privates.append(
                    {
                        "donor_id": donor_id,
                        "phone": values.get("phone") or "",
                        "id_number": values.get("id_number") or "",
                        "note": values.get("note") or "",
                    }
                )
            row = {name: values.get(name) for name in entry_fields(kind)}
            recipient = institution_map.get(values.get("recipient_name"))
            channel = channels.get(values.get("channel_name"))
            row.update(
                donor_id=donor_id,
                issue_id=issue.pk if issue else None,
                designated_donation_id=values.get("designated_donation_id"),
                recipient_id=recipient.pk if recipient else None,
                channel_id=channel.pk if channel else None,
                batch_id=self.batch.pk,
                sheet=spec.name,
                row_number=row_number,
            )
            entries.append(row)
            self.counts[kind] += 1
        insert_rows(DonorPrivate, privates)
        insert_rows(LedgerEntry, entries)

    def _issues(self, pending):
        from snippets.models import Issue

        numbers = {values.get("issue_number") for _r, values in pending if values.get("issue_number")}
        if not numbers:
            return {}
        return {issue.number: issue for issue in Issue.objects.filter(number__in=numbers)}

    def _designated(self, pending):
        numbers = {v.get("designated_number") for _r, v in pending if v.get("designated_number")}
        if not numbers:
            return {}
        rows = LedgerEntry.objects.filter(
            number__in=numbers, kind__in=[EntryKind.CASH, EntryKind.GOODS], corrects__isnull=True
        ).exclude(purpose="")
        return dict(rows.values_list("number", "pk"))

    def _institutions(self, pending):
        from snippets.models import Institution

        names = {values["recipient_name"] for _r, values in pending}
        return {inst.name: inst for inst in Institution.objects.filter(name__in=names)}

    def _channels(self, pending):
        from home.models import DonationChannel

        names = {values.get("channel_name") for _r, values in pending if values.get("channel_name")}
        if not names:
            return {}
        return {channel.name: channel for channel in DonationChannel.objects.filter(name__in=names)}

    def _check_stock(self):
        if self.report or not self.goods_delta:
            return
        from home.ledger.balance import goods_sums

        items = {key[0] for key in self.goods_delta}
        existing = goods_sums(LedgerEntry.objects.filter(item__in=items).exclude(batch=self.batch))
        for key, delta in sorted(self.goods_delta.items()):
            received, allocated = existing.get(key, (0, 0))
            after = received - allocated + delta
            if after < 0:
                self.report.add(
                    ALLOCATION_SHEET.name,
                    self.last_allocation_row.get(key),
                    "数量",
                    _("“{item} {spec}”库存不足：拨付后库存为 {after}{unit}").format(
                        item=key[0], spec=key[1], unit=key[2], after=after
                    ),
                )


def _columns(model, connection):
    """(column, attname, default, adapt) for each concrete non-pk field: computed once per insert."""
    from django.db import models as m

    ops = connection.ops
    now = timezone.now()
    columns = []
    for field in model._meta.concrete_fields:
        if field.primary_key:
            continue
        if isinstance(field, m.DateTimeField):
            default = now if (field.auto_now or field.auto_now_add) else field.get_default()
            adapt = ops.adapt_datetimefield_value
        elif isinstance(field, m.DateField):
            default, adapt = field.get_default(), ops.adapt_datefield_value
        elif isinstance(field, m.DecimalField):
            default = field.get_default()

            def adapt(value, field=field):
                return ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)

        else:
            default, adapt = field.get_default(), None
        if not field.null and default is None:
            default = ""
        columns.append((field.column, field.attname, default, adapt))
    return columns


def _params(columns, rows):
    params = []
    for row in rows:
        values = []
        for _column, attname, default, adapt in columns:
            value = row.get(attname)
            if value is None:
                value = default
            if adapt is not None and value is not None:
                value = adapt(value)
            values.append(value)
        params.append(values)
    return params


def insert_rows(model, rows):
    """INSERT plain dicts (by attname) with one prepared statement; no model instances.

    bulk_create builds a model instance per row and splits a 30-column model into ~30-row
    statements on SQLite; this is the import's hot path, measured 3x faster. Nothing is returned.
    """
    if not rows:
        return
    from django.db import connections, router

    connection = connections[router.db_for_write(model)]
    columns = _columns(model, connection)
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model, values bound
        quote(model._meta.db_table),
        ", ".join(quote(column) for column, *_rest in columns),
        ", ".join(["%s"] * len(columns)),
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, _params(columns, rows))


def insert_returning_ids(model, rows):
    """INSERT plain dicts in multi-row statements and return their new ids in order."""
    if not rows:
        return []
    from django.db import connections, router

    connection = connections[router.db_for_write(model)]
    columns = _columns(model, connection)
    quote = connection.ops.quote_name
    per_statement = max(1, 900 // len(columns))
    placeholders = "({})".format(", ".join(["%s"] * len(columns)))
    head = "INSERT INTO {} ({}) VALUES ".format(  # noqa: S608 - names from the model, values bound
        quote(model._meta.db_table), ", ".join(quote(column) for column, *_rest in columns)
    )
    ids = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = _params(columns, rows[start : start + per_statement])
            sql = head + ", ".join([placeholders] * len(chunk)) + " RETURNING " + quote(model._meta.pk.column)
            cursor.execute(sql, [value for values in chunk for value in values])
            # Ids grow in insertion order; RETURNING itself does not promise an order.
            ids.extend(sorted(row[0] for row in cursor.fetchall()))
    return ids


SPEC_OF_KIND = {kind: spec for spec, kind in SHEETS}


def parse_row(kind, raw, report, row_number=1):
    """Parse one row typed by hand ({column key: text}) with the sheet's own column parsers; bad
    cells go to `report` under the column header, as an imported file's would. None if any is bad."""
    spec = SPEC_OF_KIND[kind]
    parsed, ok = {}, True
    for column in spec.columns:
        try:
            parsed[column.key] = column.parse(raw.get(column.key))
        except CellError as exc:
            report.add(spec.name, row_number, column.header, str(exc))
            ok = False
    return parsed if ok else None


def enter_by_hand(kind, raw, user):
    """One ledger row entered in the admin, through the import's code path: the same parsers,
    validation, masking inputs, receipt-number uniqueness, frozen-day and stock checks. Recorded as
    a one-row ImportBatch (its provenance). Returns the batch: DONE, or FAILED with its errors."""
    import hashlib
    import json

    canonical = json.dumps({"kind": kind, **raw}, ensure_ascii=False, sort_keys=True, default=str)
    batch = ImportBatch.objects.create(
        sha256=hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
        filename=str(_("手工录入")),
        uploaded_by=user,
        status=ImportStatus.RUNNING,
    )
    importer = LedgerImporter(batch)
    values = parse_row(kind, raw, importer.report)
    if values is not None:
        importer.total_rows = 1
        importer.run_rows([(kind, 1, values)])
        if importer.skipped:
            # The import skips an identical row already in the ledger; typed by hand it is a mistake.
            spec = SPEC_OF_KIND[kind]
            importer.report.add(spec.name, 1, spec.columns[0].header, _("单据编号已存在于台账中"))
    if importer.report:
        return finish(batch, ImportStatus.FAILED, str(_("录入未保存")), errors=importer.report.as_list())
    counts = importer.counts
    page_cache.invalidate()
    return finish(
        batch,
        ImportStatus.DONE,
        str(_("已录入 1 行")),
        total_rows=1,
        cash_count=counts[EntryKind.CASH],
        goods_count=counts[EntryKind.GOODS],
        allocation_count=counts[EntryKind.ALLOCATION],
    )


def run_import(batch, fileobj):
    """Validate and (unless a dry run or any error) store one file; records the outcome on the batch."""
    try:
        outcome = LedgerImporter(batch, dry_run=batch.dry_run).run(fileobj)
    except SpreadsheetError as exc:
        # Logged without content: the file holds personal data.
        logger.info("Ledger import batch %s refused: %s", batch.pk, exc.code)
        return finish(
            batch,
            ImportStatus.FAILED,
            exc.message,
            errors=[{"sheet": "", "row": None, "column": "", "reason": exc.message}],
        )
    except CellError as exc:  # pragma: no cover - parsers report through the ErrorReport
        return finish(batch, ImportStatus.FAILED, str(exc))
    counts = outcome.counts
    update = {
        "total_rows": outcome.total_rows,
        "skipped_count": outcome.skipped,
    }
    if outcome.report:
        message = _("发现 {n} 处错误，整个文件未导入").format(n=len(outcome.report))
        return finish(batch, ImportStatus.FAILED, message, errors=outcome.report.as_list(), **update)
    update.update(
        cash_count=counts[EntryKind.CASH],
        goods_count=counts[EntryKind.GOODS],
        allocation_count=counts[EntryKind.ALLOCATION],
    )
    if batch.dry_run:
        message = _("校验通过：{n} 行可以导入（未写入）").format(n=outcome.total_rows - outcome.skipped)
        update.update(cash_count=0, goods_count=0, allocation_count=0)
    else:
        message = _("已导入 {n} 行，跳过已存在的 {s} 行").format(n=sum(counts.values()), s=outcome.skipped)
        page_cache.invalidate()
    return finish(batch, ImportStatus.DONE, message, **update)


def finish(batch, status, message, errors=None, **fields):
    fields.update(status=status, message=message[:500], errors=errors or [], finished_at=timezone.now())
    ImportBatch.objects.filter(pk=batch.pk).update(**fields)
    for name, value in fields.items():
        setattr(batch, name, value)
    return batch
