"""Thin views of the leadership dashboard, mounted at /admin/dashboard/ by `.wagtail_hooks`.

Figures come from `.queries` (through `.cache`); approve/return call `workflows.services.transition`,
the only code that changes a stage.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, OperationalError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from snippets.models import Issue
from snippets.permissions import institutions_for
from workflows import roles
from workflows.choices import Stage
from workflows.dashboard import cache, charts, exports, queries, supplies
from workflows.dashboard.forms import AllocationForm
from workflows.dashboard.queries import DashboardScope

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def scope_for(request):
    """The user's scope, narrowed to one institution with ?institution=<id> (404 if not theirs)."""
    scope = DashboardScope.for_user(request.user)
    if not scope.allowed:
        raise PermissionDenied
    raw = request.GET.get("institution", "")
    if raw:
        if not raw.isdigit() or not scope.shows_inspections:
            raise Http404
        institution = institutions_for(request.user).filter(pk=int(raw)).first()
        if institution is None:
            raise Http404
        scope.institution = institution
    return scope


def figures_for(scope):
    data = {"inspections": None, "donations": None}
    if scope.shows_inspections:
        data["inspections"] = cache.cached(scope, "inspections", queries.inspection_figures)
    if scope.shows_donations:
        data["donations"] = cache.cached(scope, "donations", queries.donation_figures)
    return data


def _tables(data):
    tables = {}
    if data["inspections"]:
        tables.update(exports.inspection_tables(data["inspections"]))
    if data["donations"]:
        tables.update(exports.donation_tables(data["donations"]))
    return tables


def _charts(data):
    """{table name: [(caption, svg), ...]}: the charts drawn above each table."""
    figures = data["inspections"]
    if not figures:
        return {}
    ur_rows = [*figures["urban_rural"]["townships"], figures["urban_rural"]["total"]]

    def paired(key, caption):
        pairs = [
            (
                row["township"] or _("合计"),
                (exports._percent(row["urban"][key]), exports._percent(row["rural"][key])),
            )
            for row in ur_rows
        ]
        return caption, charts.paired_bar_chart(caption, pairs, (_("城区"), _("农村")))

    def bars(caption, items):
        return caption, charts.bar_chart(caption, items)

    trend = figures["trend"]
    return {
        "stages": [bars(_("未销号问题（按阶段）"), [(r["label"], r["count"]) for r in figures["by_stage"]])],
        "categories": [
            bars(_("未销号问题（按类别）"), [(r["label"], r["open"]) for r in figures["by_category"]])
        ],
        "institutions": [
            bars(_("未销号问题最多的机构"), [(r["label"], r["open"]) for r in figures["by_institution"]])
        ],
        "escalation": [
            bars(_("逾期问题（按升级级别）"), [(r["label"], r["count"]) for r in figures["by_escalation"]])
        ],
        "urban-rural": [paired("pass_rate", _("检查合格率（%）")), paired("overdue_rate", _("逾期率（%）"))],
        "close-category": [
            bars(
                _("销号用时中位数（天）"),
                [(r["label"], r["median_days"]) for r in figures["time_to_close"]["by_category"]],
            )
        ],
        "trend": [
            (
                _("每日新增与销号"),
                charts.line_chart(
                    _("每日新增与销号"),
                    [r["day"].strftime("%m-%d") for r in trend],
                    [[r["opened"] for r in trend], [r["closed"] for r in trend]],
                    (_("新增"), _("销号")),
                ),
            )
        ],
    }


def dashboard(request):
    scope = scope_for(request)
    data = figures_for(scope)
    tables = _tables(data)
    chart_svgs = _charts(data)
    closures = queries.closure_requests(scope) if scope.shows_closures else None
    shortages = None
    if data["donations"] is not None and scope.sees_everything:
        shortages = queries.shortages(scope, data["donations"]["stock"])
    query = f"?institution={scope.institution.pk}" if scope.institution else ""
    sections = [
        {
            "table": table,
            "charts": chart_svgs.get(name, []),
            "collapsed": len(table.rows) > 12,
            "download": reverse("workflows_dashboard:export", args=[name]) + query,
        }
        for name, table in tables.items()
    ]
    context = {
        "scope": scope,
        "figures": data["inspections"],
        "donations": data["donations"],
        "sections": sections,
        "closures": closures,
        "shortages": shortages,
        "can_allocate": can_allocate(scope),
        "request_key": uuid.uuid4().hex,
        "institutions": institutions_for(request.user).order_by("township", "name")
        if scope.limited_to_units
        else None,
        "download_all": reverse("workflows_dashboard:export_all") + query,
        "today": scope.today,
        # The supplies loop (issue #14): its own module, so the daily brief can call it too. Shown
        # with the inspection figures (comms' dashboard stays donations only; they have /supplies/).
        "supplies": supplies.supplies_figures(scope.institution or request.user, today=scope.today)
        if scope.shows_inspections
        else None,
    }
    return TemplateResponse(request, "workflows/dashboard/dashboard.html", context)


def _xlsx_response(tables, name):
    response = HttpResponse(exports.xlsx_bytes(tables), content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="dashboard-{name}-{stamp}.xlsx"'
    return response


def export(request, name):
    scope = scope_for(request)
    table = _tables(figures_for(scope)).get(name)
    if table is None:
        raise Http404
    return _xlsx_response([table], name)


def export_all(request):
    scope = scope_for(request)
    return _xlsx_response(list(_tables(figures_for(scope)).values()), "all")


@require_POST
def decide(request, pk, name):
    """Approve (close) or return a closure request from the dashboard, through the service."""
    from workflows import services

    if name not in ("close", "return"):
        raise Http404
    scope = DashboardScope.for_user(request.user)
    if not scope.shows_closures:
        raise PermissionDenied
    version = request.POST.get("expected_version", "")
    try:
        result = services.transition(
            pk,
            name,
            request.user,
            expected_version=int(version) if version.isdigit() else None,
            note=request.POST.get("note", ""),
            request_key=(request.POST.get("request_key") or "")[:60] or None,
        )
    except services.TransitionNotPermitted as exc:
        raise PermissionDenied(exc.message) from exc
    except services.TransitionError as exc:
        messages.error(request, exc.message)
        return redirect("workflows_dashboard:index")
    except OperationalError:
        messages.error(request, _("系统繁忙（数据库暂时不可用），您的操作未生效，请稍后重试。"))
        return redirect("workflows_dashboard:index")
    except Issue.DoesNotExist as exc:
        raise Http404 from exc
    cache.invalidate()
    issue_number = result.transition.issue.number
    if result.created:
        label = _("已销号") if name == "close" else _("已退回整改")
        messages.success(request, f"{label}：{issue_number}")
    else:
        messages.info(request, _("该操作已处理过，未重复执行。"))
    return redirect("workflows_dashboard:index")


def can_allocate(scope):
    """Allocating donated goods to answer an issue is a leadership decision (administrators too)."""
    return bool(scope.role_keys & {roles.LEADERSHIP, roles.ADMINISTRATOR})


def allocate(request, pk):
    """Pre-filled allocation of goods in stock to a supply-shortage issue's institution, linked to
    the issue; saved by `home.ledger.services.record_entry` (which re-checks the stock)."""
    from home.ledger.models import EntryKind
    from home.ledger.services import LedgerError, record_entry

    scope = scope_for(request)
    if not can_allocate(scope):
        raise PermissionDenied
    issue = (
        scope.issues()
        .exclude(stage=Stage.CLOSED)
        .filter(pk=pk, category__code=queries.SUPPLY_SHORTAGE_CODE)
        .select_related("institution")
        .first()
    )
    if issue is None:
        raise Http404
    stock = queries.donation_figures(scope)["stock"]
    matches = queries.shortages_for_issue(issue, stock)
    form = AllocationForm(request.POST or None, issue=issue, matches=matches, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        item, specification, unit = form.goods_key()
        try:
            entry = record_entry(
                kind=EntryKind.ALLOCATION,
                number=data["number"],
                entry_date=data["entry_date"],
                item=item,
                specification=specification,
                unit=unit,
                category=form.goods_category(),
                quantity=data["quantity"],
                recipient=issue.institution,
                recipient_name=issue.institution.name,
                issue=issue,
                purpose=data["purpose"],
                approver=data["approver"],
            )
        except LedgerError as exc:
            form.add_error(None, exc)
        except IntegrityError:
            form.add_error("number", _("单据编号已存在。"))
        else:
            cache.invalidate()
            messages.success(
                request,
                _(
                    "已调配 %(quantity)s%(unit)s %(item)s 至 %(institution)s（%(number)s），"
                    "关联问题 %(issue)s。"
                )
                % {
                    "quantity": entry.quantity,
                    "unit": entry.unit,
                    "item": entry.item,
                    "institution": issue.institution.name,
                    "number": entry.number,
                    "issue": issue.number,
                },
            )
            return redirect("workflows_dashboard:index")
    return TemplateResponse(
        request,
        "workflows/dashboard/allocate.html",
        {"issue": issue, "form": form, "matches": matches},
        status=400 if request.method == "POST" else 200,
    )
