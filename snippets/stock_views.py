"""Thin views of the supplies loop: the units' daily stock report form and the reports list."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from home.ledger.models import GoodsItem
from snippets import allocations, permissions, stock
from snippets.models import Institution, StockReport, SupplyShortage
from snippets.stock_forms import StockReportForm


def parse_date_or(text, default):
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        return default


def _requested_institution(request, allowed):
    """The institution named in the request, if any; one outside the user's own is a 403 (the
    unit is told plainly rather than shown an empty form)."""
    raw = request.POST.get("institution") if request.method == "POST" else request.GET.get("institution")
    if not raw:
        return allowed.first()
    try:
        pk = int(raw)
    except ValueError:
        return None
    institution = allowed.filter(pk=pk).first()
    if institution is None and Institution.objects.filter(pk=pk).exists():
        raise PermissionDenied(_("只能填报本单位机构的物资日报。"))
    return institution


def _forbidden(message):
    # A plain 403 (not Wagtail's redirect to the dashboard): a unit on a phone sees why.
    return HttpResponseForbidden(message, content_type="text/plain; charset=utf-8")


def stock_report_form(request):
    """File today's (or an earlier day's) report for one of the user's institutions."""
    allowed = stock.reporting_institutions(request.user)
    if not request.user.has_perm("snippets.add_stockreport") or not allowed.exists():
        return _forbidden(_("您没有可填报物资日报的机构。"))
    try:
        institution = _requested_institution(request, allowed)
    except PermissionDenied as exc:
        return _forbidden(str(exc))
    goods = stock.catalogue()
    if request.method == "POST":
        form = StockReportForm(request.POST, institutions=allowed, goods=goods)
        if form.is_valid():
            try:
                report = stock.file_stock_report(
                    form.cleaned_data["institution"],
                    form.cleaned_data["day"],
                    form.cleaned_data["staff_count"],
                    form.cleaned_data["residents_count"],
                    form.lines(),
                    request.user,
                )
            except ValidationError as exc:
                form.add_service_errors(exc)
            except PermissionDenied as exc:
                return _forbidden(str(exc))
            else:
                messages.success(
                    request,
                    _("%(institution)s %(day)s 物资日报已提交（第 %(n)d 次填报）。")
                    % {"institution": report.institution, "day": report.day, "n": report.revision},
                )
                url = reverse("snippets_stock_report_form")
                return redirect(f"{url}?institution={report.institution_id}&day={report.day}")
    else:
        day = timezone.localdate()
        if request.GET.get("day"):
            day = parse_date_or(request.GET["day"], day)
        initial = {"institution": institution, "day": day}
        report = (
            StockReport.objects.filter(institution=institution, day__lte=day)
            .order_by("-day")
            .prefetch_related("lines")
            .first()
        )
        if report is not None:
            # Start from the latest figures: most days only a few numbers change.
            initial.update(staff_count=report.staff_count, residents_count=report.residents_count)
            for line in report.lines.all():
                initial[stock.line_field(line.goods_id, "on_hand")] = line.on_hand
                initial[stock.line_field(line.goods_id, "daily_use")] = line.daily_use
        elif institution is not None:
            initial.update(staff_count=institution.staff, residents_count=institution.residents)
        form = StockReportForm(initial=initial, institutions=allowed, goods=goods)
    history = (
        StockReport.objects.filter(institution=institution)
        .order_by("-day")
        .prefetch_related("lines__goods")[:7]
        if institution
        else []
    )
    return TemplateResponse(
        request,
        "snippets/stock_report_form.html",
        {"form": form, "institution": institution, "history": history},
    )


def stock_report_list(request):
    """Latest report and open shortages of each institution the user may see."""
    if not request.user.has_perm("snippets.view_stockreport"):
        raise PermissionDenied
    institutions = permissions.institutions_for(request.user).order_by("township", "name")
    latest = dict(
        StockReport.objects.filter(institution__in=institutions)
        .values("institution_id")
        .annotate(last=Max("day"))
        .values_list("institution_id", "last")
    )
    shortages = {}
    for shortage in SupplyShortage.objects.filter(
        institution__in=institutions, closed_at__isnull=True
    ).select_related("goods", "issue"):
        shortages.setdefault(shortage.institution_id, []).append(shortage)
    overdue_before = stock.overdue_before()
    rows = [
        {
            "institution": institution,
            "latest": latest.get(institution.pk),
            "overdue": latest.get(institution.pk) is None or latest[institution.pk] < overdue_before,
            "shortages": shortages.get(institution.pk, []),
        }
        for institution in institutions[:500]
    ]
    return TemplateResponse(
        request,
        "snippets/stock_report_list.html",
        {
            "rows": rows,
            "can_file": stock.reporting_institutions(request.user).exists(),
            "can_allocate": allocations.may_confirm(request.user),
            "short_goods": GoodsItem.objects.filter(shortages__closed_at__isnull=True).distinct(),
        },
    )


def allocation_proposal(request, goods_id):
    """Comms: how the ledger's donated stock of one goods item would answer its open shortages,
    and the button that confirms it as ledger allocations linked to the issues."""
    if not allocations.may_confirm(request.user):
        return _forbidden(_("只有宣传岗可以查看和确认物资分配建议。"))
    goods = get_object_or_404(GoodsItem, pk=goods_id)
    if request.method == "POST":
        try:
            entries = allocations.confirm(goods, request.user)
        except allocations.ProposalError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("已确认分配 %(n)d 笔：%(numbers)s。")
                % {"n": len(entries), "numbers": "、".join(entry.number for entry in entries)},
            )
        return redirect("snippets_allocation_proposal", goods_id=goods.pk)
    proposal = allocations.propose(goods)
    return TemplateResponse(
        request,
        "snippets/allocation_proposal.html",
        {"proposal": proposal, "split": proposal.split(), "goods": goods},
    )
