"""Public views: disclosure pages (served through the pages' routes), open data and receipt look-up.

Everything public reads the frozen DisclosureRecord for totals and digests and the ledger for rows,
keyset-paginated, with a number of queries that does not depend on the number of rows. Donor
names are masked (`LedgerEntry.public_donor_name`); private fields are never selected here.
"""

import datetime as dt
import io
import json

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from home.ledger import canonical, exporters, tables
from home.ledger.balance import compute_day
from home.ledger.models import DisclosurePage, DisclosureRecord, EntryKind, LedgerEntry
from home.ledger.services import canonical_rows, latest_records

PAGE_SIZE = 200  # well under the 1,000-row ceiling for a public HTML table
PUBLIC_FIELDS = (
    "id",
    "number",
    "kind",
    "entry_date",
    "amount",
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
    "channel_name",
    "approver",
    "correction_reason",
    "corrects__number",
    "donor__name",
    "donor__donor_type",
    "donor__anonymous",
)
SECTIONS = (
    (EntryKind.CASH, "cash"),
    (EntryKind.GOODS, "goods"),
    (EntryKind.ALLOCATION, "allocation"),
)


def public_entries(day):
    """Only public columns (and the donor's public identity) are fetched."""
    return (
        LedgerEntry.objects.filter(entry_date=day)
        .select_related("donor", "corrects")
        .only(*[f for f in PUBLIC_FIELDS if f != "id"])
        .order_by("number")
    )


def _section(day, kind, after, corrected):
    queryset = public_entries(day).filter(kind=kind)
    if after:
        queryset = queryset.filter(number__gt=after)
    rows = list(queryset[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return {
        "rows": rows,
        "html": tables.table_rows(kind, rows, day.isoformat(), corrected),
        "next": rows[-1].number if more and rows else None,
    }


def _record(day, version=None):
    records = DisclosureRecord.objects.filter(disclosure_date=day)
    if version is not None:
        return records.filter(version=version).first()
    return records.order_by("-version").first()


def serve_day(request, page, version=None):
    day = page.disclosure_date
    # Every version of the day in one query; the per-row hashes (thousands of entries of JSON) are
    # for verification, not for the page.
    records = list(
        DisclosureRecord.objects.filter(disclosure_date=day).defer("row_hashes").order_by("version")
    )
    versions = [r.version for r in records]
    if version is None:
        record = records[-1] if records else None
    else:
        record = next((r for r in records if r.version == version), None)
        if record is None:
            raise Http404
    if record is not None:
        totals = record.totals
        cumulative = record.cumulative
    else:
        # A draft in preview: computed, clearly marked as not yet published.
        result = compute_day(day)
        totals = result.totals()
        cumulative = result.cumulative
    later = list(
        LedgerEntry.objects.filter(corrects__entry_date=day, entry_date__gt=day)
        .select_related("corrects")
        .only("number", "entry_date", "amount", "quantity", "correction_reason", "corrects__number")
        .order_by("entry_date", "number")[:PAGE_SIZE]
    )
    corrected = {}
    for correction in later:
        corrected.setdefault(correction.corrects.number, []).append(correction)
    sections = {}
    for kind, key in SECTIONS:
        after = request.GET.get(f"{key}_after", "")[:40]
        sections[key] = _section(day, kind, after, corrected)
    return page.render(
        request,
        context_overrides={
            "record": record,
            "versions": versions,
            "latest_version": versions[-1] if versions else None,
            "totals": totals,
            "cumulative": cumulative,
            "sections": sections,
            "later_corrections": later,
            "page_size": PAGE_SIZE,
        },
    )


def _chart(records):
    """A small server-rendered SVG polyline of cumulative cash received (no script, no CDN)."""
    points = sorted(records, key=lambda r: r.disclosure_date)
    if len(points) < 2:
        return None
    width, height, pad = 600, 160, 10
    top = max(float(r.cumulative_cash_received) for r in points) or 1.0
    step = (width - 2 * pad) / (len(points) - 1)
    top_goods = max(r.cumulative_goods_batches for r in points) or 1

    def polyline(values, top):
        span = height - 2 * pad
        points = [(pad + i * step, height - pad - (v / top) * span) for i, v in enumerate(values)]
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)

    coords = polyline([float(r.cumulative_cash_received) for r in points], top)
    goods = polyline([r.cumulative_goods_batches for r in points], top_goods)
    return {
        "width": width,
        "height": height,
        "cash": coords,
        "goods": goods,
        "first": points[0],
        "last": points[-1],
    }


def index_context(request, index):
    records = latest_records()
    chain = list(
        DisclosureRecord.objects.order_by("-sequence").only(
            "disclosure_date", "version", "sequence", "digest", "previous_digest"
        )[:60]
    )
    lookup = None
    receipt = (request.GET.get("receipt") or "").strip().upper()[:40]
    if receipt:
        entry = (
            LedgerEntry.objects.filter(number=receipt, frozen=True)
            .select_related("donor", "corrects")
            .first()
        )
        lookup = {"number": receipt, "entry": entry}
    return {"records": records, "chain": chain, "chart": _chart(records), "lookup": lookup}


# --- Open data ------------------------------------------------------------------------------------


def _json(data, status=200):
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    return response


def public_dict(entry):
    return {
        "number": entry.number,
        "kind": entry.kind,
        "date": entry.entry_date.isoformat(),
        "donor": entry.public_donor_name if entry.kind != EntryKind.ALLOCATION else None,
        "donor_type": entry.donor.donor_type if entry.donor_id else None,
        "amount": canonical.text(entry.amount) or None,
        "purpose": entry.purpose,
        "category": entry.category,
        "item": entry.item,
        "specification": entry.specification,
        "standard": entry.standard,
        "unit": entry.unit,
        "quantity": entry.quantity,
        "package_unit": entry.package_unit,
        "batch_number": entry.batch_number,
        "expiry_date": canonical.text(entry.expiry_date) or None,
        "estimated_value": canonical.text(entry.estimated_value) or None,
        "recipient": entry.recipient_name,
        "corrects": entry.corrects.number if entry.corrects_id else None,
        "correction_reason": entry.correction_reason,
    }


def _day_url(day):
    page = DisclosurePage.objects.filter(disclosure_date=day, live=True).only("url_path").first()
    return page.url if page else None


@require_GET
def api_days(request):
    records = latest_records()
    chain = DisclosureRecord.objects.order_by("sequence").only(
        "disclosure_date", "version", "sequence", "digest", "previous_digest"
    )
    return _json(
        {
            "format": canonical.FORMAT,
            "days": [
                {
                    "date": r.disclosure_date.isoformat(),
                    "version": r.version,
                    "digest": r.digest,
                    "previous_digest": r.previous_digest,
                    "totals": r.totals,
                    "cumulative": r.cumulative,
                    "json": f"/api/disclosures/{r.disclosure_date.isoformat()}.json",
                    "csv": f"/api/disclosures/{r.disclosure_date.isoformat()}.csv",
                    "xlsx": f"/api/disclosures/{r.disclosure_date.isoformat()}.xlsx",
                }
                for r in records
            ],
            "chain": [
                {
                    "sequence": r.sequence,
                    "date": r.disclosure_date.isoformat(),
                    "version": r.version,
                    "digest": r.digest,
                    "previous_digest": r.previous_digest,
                }
                for r in chain
            ],
        }
    )


@require_GET
def api_day(request, day, fmt):
    version = request.GET.get("version")
    try:
        version = int(version) if version else None
    except ValueError as exc:
        raise Http404 from exc
    record = _record(day, version)
    if record is None:
        raise Http404
    stamp = day.isoformat()
    if fmt == "json":
        rows, corrections = canonical_rows(
            day, only_corrections=list(record.row_hashes.get("corrections", {}))
        )
        entries = [public_dict(entry) for entry in public_entries(day).iterator(chunk_size=2000)]
        return _json(
            {
                "date": stamp,
                "version": record.version,
                "format": canonical.FORMAT,
                "previous_digest": record.previous_digest,
                "digest": record.digest,
                "reason": record.reason,
                "published": record.published_at.date().isoformat(),
                "totals": record.totals,
                "cumulative": record.cumulative,
                "records": entries,
                "canonical_rows": [json.loads(text) for _n, text in rows],
                "canonical_corrections": [json.loads(text) for _n, text in corrections],
            }
        )
    if fmt == "csv":
        stream = io.StringIO()
        stream.write("\ufeff")  # Excel opens UTF-8 CSV correctly only with a BOM
        exporters.write_public_csv(stream, day)
        response = HttpResponse(stream.getvalue(), content_type="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        buffer = io.BytesIO()
        exporters.write_public_xlsx(buffer, day)
        response = HttpResponse(buffer.getvalue(), content_type=exporters_xlsx())
    else:
        raise Http404
    response["Content-Disposition"] = f'attachment; filename="disclosure-{stamp}.{fmt}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def exporters_xlsx():
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@require_GET
def api_receipt(request, number):
    number = number.strip().upper()[:40]
    entry = LedgerEntry.objects.filter(number=number, frozen=True).select_related("donor", "corrects").first()
    if entry is None:
        return _json({"detail": _("未找到已公示的该单据")}, status=404)
    data = public_dict(entry)
    data["disclosure"] = _day_url(entry.entry_date)
    data["disclosure_json"] = f"/api/disclosures/{entry.entry_date.isoformat()}.json"
    return _json(data)


def receipt_redirect(request):
    number = (request.GET.get("receipt") or "").strip()
    if not number:
        return redirect("/disclosures/")
    return redirect("ledger_api_receipt", number=number)


def parse_day(value):
    return dt.date.fromisoformat(value)
