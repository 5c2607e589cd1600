"""The canonical form of a disclosure and its digest: anyone can recompute it from the open data.

Canonical form, version 1 (``ledger-disclosure/1``), UTF-8, one JSON array per line, each written
with ``json.dumps(value, ensure_ascii=False, separators=(",", ":"))`` and terminated by ``\\n``:

1. ``["ledger-disclosure/1", date, version, previous_digest]`` — the date as YYYY-MM-DD, the version
   as an integer, the previous publication's digest (64 zeros for the first publication).
2. One line per ledger row of the day, ordered by receipt number, the fields of ``ROW_FIELDS`` in
   that order. Amounts and values are strings with exactly two decimals, quantities are integer
   strings, dates YYYY-MM-DD, a missing value is ``""``. Donor names are *not* part of the form: a
   donor may ask for anonymity after publication (PIPL art. 47) and the history must still verify;
   the donor type is.
3. One line per correction made on a later day to a row of this day and included in this version:
   ``["correction", number, entry_date, corrects_number, amount, quantity, reason]``.
4. ``["cash", opening, received, allocated, closing]``.
5. One line per goods item, ordered by (item, specification, unit):
   ``["goods", item, specification, unit, opening, received, allocated, closing]``.

The digest is the SHA-256 (hex) of all lines concatenated. Each row's own hash (SHA-256 of its line)
is stored too, so that verification can name the row that changed.
"""

import hashlib
import json
from decimal import Decimal

FORMAT = "ledger-disclosure/1"

ROW_FIELDS = (
    "number",
    "kind",
    "entry_date",
    "donor_type",
    "amount",
    "channel_name",
    "purpose",
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
    "recipient_name",
    "approver",
    "corrects",
    "correction_reason",
)


def text(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def line(values):
    return (
        json.dumps(
            [text(value) if not isinstance(value, int) else value for value in values],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        + "\n"
    )


def sha256(data: str):
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def row_values(entry, corrects_number=None):
    """The public fields of one entry in canonical order (`entry` is a LedgerEntry)."""
    donor_type = entry.donor.donor_type if entry.donor_id else ""
    values = []
    for name in ROW_FIELDS:
        if name == "donor_type":
            values.append(donor_type)
        elif name == "corrects":
            values.append(corrects_number or "")
        elif name == "quantity":
            values.append("" if entry.quantity is None else str(entry.quantity))
        else:
            values.append(text(getattr(entry, name)))
    return values


def row_line(entry, corrects_number=None):
    return line(row_values(entry, corrects_number))


def correction_line(entry, corrects_number):
    return line(
        [
            "correction",
            entry.number,
            text(entry.entry_date),
            corrects_number,
            text(entry.amount),
            "" if entry.quantity is None else str(entry.quantity),
            entry.correction_reason,
        ]
    )


def totals_lines(totals):
    cash = totals["cash"]
    lines = [line(["cash", cash["opening"], cash["received"], cash["allocated"], cash["closing"]])]
    for goods in totals["goods"]:
        lines.append(
            line(
                [
                    "goods",
                    goods["item"],
                    goods["specification"],
                    goods["unit"],
                    str(goods["opening"]),
                    str(goods["received"]),
                    str(goods["allocated"]),
                    str(goods["closing"]),
                ]
            )
        )
    return lines


def header_line(day, version, previous_digest):
    return json.dumps([FORMAT, day.isoformat(), version, previous_digest], separators=(",", ":")) + "\n"


def digest(day, version, previous_digest, row_lines, correction_lines, totals):
    body = header_line(day, version, previous_digest) + "".join(row_lines) + "".join(correction_lines)
    body += "".join(totals_lines(totals))
    return sha256(body)
