"""Workbooks and CSV written from the ledger: the import template, the full staff export and the
public disclosure of one day. All go through `home.spreadsheets` (write-only, formula-safe)."""

import csv

from home.ledger.importers import SHEETS, TEMPLATE_NOTES
from home.ledger.models import EntryKind, LedgerEntry
from home.spreadsheets import OutColumn, OutSheet, csv_safe, template_sheets, write_workbook

MONEY = "#,##0.00"
DATE = "yyyy-mm-dd"


def write_template(target):
    return write_workbook(
        target, template_sheets([spec for spec, _kind in SHEETS], [str(n) for n in TEMPLATE_NOTES])
    )


STAFF_COLUMNS = [
    ("number", OutColumn("单据编号", 16)),
    ("kind", OutColumn("类型", 10)),
    ("entry_date", OutColumn("日期", 12, DATE)),
    ("donor_name", OutColumn("捐赠人", 18)),
    ("donor_type", OutColumn("捐赠人类型", 10)),
    ("anonymous", OutColumn("是否匿名", 8)),
    ("amount", OutColumn("金额（元）", 14, MONEY)),
    ("channel_name", OutColumn("捐赠渠道", 16)),
    ("purpose", OutColumn("用途", 18)),
    ("category", OutColumn("物资类别", 10)),
    ("item", OutColumn("物资名称", 18)),
    ("specification", OutColumn("规格型号", 16)),
    ("standard", OutColumn("执行标准", 16)),
    ("unit", OutColumn("计量单位", 8)),
    ("quantity", OutColumn("数量", 10)),
    ("package_unit", OutColumn("包装单位", 12)),
    ("batch_number", OutColumn("批号", 12)),
    ("expiry_date", OutColumn("有效期至", 12, DATE)),
    ("estimated_value", OutColumn("估值（元）", 14, MONEY)),
    ("receiving_point", OutColumn("接收点", 14)),
    ("recipient_name", OutColumn("接收单位", 18)),
    ("approver", OutColumn("审批人", 10)),
    ("corrects", OutColumn("更正的记录", 16)),
    ("correction_reason", OutColumn("更正原因", 20)),
    ("phone", OutColumn("联系电话", 14)),
    ("id_number", OutColumn("证件号码", 20)),
    ("note", OutColumn("备注", 20)),
]

KIND_LABELS = dict(EntryKind.choices)


def staff_queryset(date_from=None, date_to=None):
    queryset = LedgerEntry.objects.select_related("donor", "donor__private", "corrects").order_by(
        "entry_date", "number"
    )
    if date_from:
        queryset = queryset.filter(entry_date__gte=date_from)
    if date_to:
        queryset = queryset.filter(entry_date__lte=date_to)
    return queryset


def staff_rows(queryset):
    for entry in queryset.iterator(chunk_size=2000):
        donor = entry.donor
        private = getattr(donor, "private", None) if donor else None
        yield [
            entry.number,
            str(KIND_LABELS[entry.kind]),
            entry.entry_date,
            donor.name if donor else None,
            donor.get_donor_type_display() if donor else None,
            ("是" if donor.anonymous else "否") if donor else None,
            entry.amount,
            entry.channel_name,
            entry.purpose,
            entry.get_category_display() if entry.category else None,
            entry.item,
            entry.specification,
            entry.standard,
            entry.unit,
            entry.quantity,
            entry.package_unit,
            entry.batch_number,
            entry.expiry_date,
            entry.estimated_value,
            entry.receiving_point,
            entry.recipient_name,
            entry.approver,
            entry.corrects.number if entry.corrects_id else None,
            entry.correction_reason,
            private.phone if private else None,
            private.id_number if private else None,
            private.note if private else None,
        ]


def write_staff_export(target, date_from=None, date_to=None):
    """The full ledger for staff, private fields included."""
    sheet = OutSheet(
        "台账", [column for _key, column in STAFF_COLUMNS], staff_rows(staff_queryset(date_from, date_to))
    )
    return write_workbook(target, [sheet])


PUBLIC_COLUMNS = [
    OutColumn("单据编号", 16),
    OutColumn("类型", 10),
    OutColumn("日期", 12, DATE),
    OutColumn("捐赠人", 18),
    OutColumn("金额（元）", 14, MONEY),
    OutColumn("用途", 18),
    OutColumn("物资类别", 10),
    OutColumn("物资名称", 18),
    OutColumn("规格型号", 16),
    OutColumn("执行标准", 16),
    OutColumn("计量单位", 8),
    OutColumn("数量", 10),
    OutColumn("批号", 12),
    OutColumn("有效期至", 12, DATE),
    OutColumn("估值（元）", 14, MONEY),
    OutColumn("接收单位", 18),
    OutColumn("更正的记录", 16),
    OutColumn("更正原因", 20),
]


def public_row(entry):
    """The masked public record: no phone, ID number, note or full individual name."""
    return [
        entry.number,
        str(KIND_LABELS[entry.kind]),
        entry.entry_date,
        entry.public_donor_name,
        entry.amount,
        entry.purpose,
        entry.get_category_display() if entry.category else "",
        entry.item,
        entry.specification,
        entry.standard,
        entry.unit,
        entry.quantity,
        entry.batch_number,
        entry.expiry_date,
        entry.estimated_value,
        entry.recipient_name,
        entry.corrects.number if entry.corrects_id else "",
        entry.correction_reason,
    ]


def public_queryset(day):
    return LedgerEntry.objects.filter(entry_date=day).select_related("donor", "corrects").order_by("number")


def write_public_xlsx(target, day):
    rows = (public_row(entry) for entry in public_queryset(day).iterator(chunk_size=2000))
    return write_workbook(target, [OutSheet(day.isoformat(), PUBLIC_COLUMNS, rows)])


def write_public_csv(stream, day):
    writer = csv.writer(stream)
    writer.writerow([column.header for column in PUBLIC_COLUMNS])
    for entry in public_queryset(day).iterator(chunk_size=2000):
        writer.writerow([csv_safe(value) for value in public_row(entry)])
    return stream
