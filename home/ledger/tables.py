"""The rows of a disclosure day's three tables (cash, goods, allocations), rendered in Python.

A day page shows up to `views.PAGE_SIZE` rows per table. Through the template engine a row cost
about twice a bare 5-cell table's row, and the rows were most of the page's time (docs/performance.md,
measurement 3); `format_html` escapes every value the same way at a fraction of the cost. The
markup is the one the page template had; the headers stay in `ledger/disclosure_page.html`.
"""

from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from home.ledger.models import EntryKind


def _text(value):
    """What `{{ value }}` shows, except that a missing value is blank rather than "None"."""
    return "" if value is None else localize(value)


def _note(entry, corrected):
    """The last cell: what this row corrects, and whether a later row corrected it."""
    note = ""
    if entry.corrects_id:
        note = format_html("{} {}：{}", _("更正"), entry.corrects.number, entry.correction_reason)
    if entry.number in corrected:
        note = format_html('{}<strong class="corrected">{}</strong>', note, _("已更正"))
    return note


def _cash(entry, day_text, corrected):
    return (
        entry.number,
        entry.number,
        day_text,
        entry.public_donor_name,
        _text(entry.amount),
        entry.purpose,
        _note(entry, corrected),
    )


def _goods(entry, day_text, corrected):
    package = format_html("（{}）", entry.package_unit) if entry.package_unit else ""
    expiry = entry.expiry_date.isoformat() if entry.expiry_date else ""
    return (
        entry.number,
        entry.number,
        day_text,
        entry.public_donor_name,
        entry.item,
        entry.specification,
        entry.standard,
        _text(entry.quantity),
        entry.unit,
        package,
        entry.batch_number,
        expiry,
        _text(entry.estimated_value),
        _note(entry, corrected),
    )


def _allocation(entry, day_text, corrected):
    quantity = "" if entry.quantity is None else format_html("{}{}", _text(entry.quantity), entry.unit)
    return (
        entry.number,
        entry.number,
        day_text,
        entry.recipient_name,
        _text(entry.amount),
        entry.item,
        entry.specification,
        quantity,
        entry.purpose,
        _note(entry, corrected),
    )


ROW_FORMATS = {
    EntryKind.CASH: (
        '<tr id="r-{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        _cash,
    ),
    EntryKind.GOODS: (
        '<tr id="r-{}"><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}{}{}</td>'
        "<td>{} {}</td><td>{}</td><td>{}</td></tr>",
        _goods,
    ),
    EntryKind.ALLOCATION: (
        '<tr id="r-{}"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td>'
        "<td>{}</td></tr>",
        _allocation,
    ),
}


def table_rows(kind, entries, day_text, corrected):
    """The <tbody> content of one section: a row per entry, or the "no records" row."""
    if not entries:
        return format_html('<tr><td colspan="9">{}</td></tr>', _("本日无记录"))
    template, cells = ROW_FORMATS[kind]
    return format_html_join(
        mark_safe("\n"), template, (cells(entry, day_text, corrected) for entry in entries)
    )
