"""Public cumulative totals shown on the home page and in the API.

Contract (the ledger engineer replaces the body): returns a dict with
`cash_total` (Decimal, yuan), `goods_batches` (int) and `latest_disclosure` (a live Page or None).
"""

from decimal import Decimal


def public_totals():
    return {"cash_total": Decimal("0.00"), "goods_batches": 0, "latest_disclosure": None}
