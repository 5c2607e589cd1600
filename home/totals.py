"""Public cumulative totals shown on the home page and in the API.

Contract (the ledger engineer replaces the body): returns a dict with
`cash_total` (Decimal, yuan), `goods_batches` (int) and `latest_disclosure` (a live Page or None).
"""

from decimal import Decimal


def public_totals():
    # Read from the totals stored when the latest day was published (home.ledger), never summed
    # over the ledger per request: two small queries whatever the ledger's size.
    from home.ledger.models import DisclosurePage, DisclosureRecord

    record = (
        DisclosureRecord.objects.order_by("-disclosure_date", "-version")
        .only("disclosure_date", "cumulative_cash_received", "cumulative_goods_batches")
        .first()
    )
    if record is None:
        return {"cash_total": Decimal("0.00"), "goods_batches": 0, "latest_disclosure": None}
    page = DisclosurePage.objects.live().filter(disclosure_date=record.disclosure_date).first()
    return {
        "cash_total": record.cumulative_cash_received,
        "goods_batches": record.cumulative_goods_batches,
        "latest_disclosure": page,
    }
