"""Thin views: parse input, call `workflows.services`, turn its errors into messages and codes.

The admin views are registered under /admin/rectification/ by `workflows.wagtail_hooks`.
"""

import logging
import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import OperationalError, transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from snippets.choices import PhotoKind
from snippets.permissions import issues_for
from workflows import notifications as notices
from workflows import services
from workflows.choices import Stage
from workflows.filters import filtered_issues
from workflows.forms import BulkDecisionForm, MoveForm
from workflows.health import health
from workflows.models import StageTransition
from workflows.stages import MOVE_NAMES

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    state = health()
    return JsonResponse(state, status=200 if state["ok"] else 503)


def busy_response(request):
    """A locked or unavailable database: say so plainly (503), never a traceback."""
    logger.warning("Database unavailable during a rectification request", exc_info=True)
    response = TemplateResponse(
        request,
        "workflows/busy.html",
        {"message": _("系统繁忙（数据库暂时不可用），您的操作未生效，请稍后重试。")},
        status=503,
    )
    response["Retry-After"] = "10"
    return response


def _refused(request, message):
    return TemplateResponse(
        request, "workflows/busy.html", {"message": message, "title": _("无权操作")}, status=403
    )


def _issue_or_404(request, pk):
    issue = (
        issues_for(request.user)
        .select_related("category", "institution", "responsible_person")
        .filter(pk=pk)
        .first()
    )
    if issue is None:
        raise Http404
    return issue


def issue_detail(request, pk, *, form_errors=None, status=200, conflict=None):
    issue = _issue_or_404(request, pk)
    transitions = StageTransition.objects.filter(issue=issue).select_related("actor").order_by("version")
    moves = services.allowed_moves(request.user, issue)
    photos = list(issue.photos.all())
    stages = [
        {"value": value, "label": label, "done": _stage_index(value) <= _stage_index(issue.stage)}
        for value, label in Stage.choices
    ]
    context = {
        "issue": issue,
        "transitions": transitions,
        "moves": moves,
        "form": MoveForm(
            issue=issue, initial={"request_key": uuid.uuid4().hex, "expected_version": issue.stage_version}
        ),
        "before_photos": [p for p in photos if p.kind == PhotoKind.BEFORE],
        "after_photos": [p for p in photos if p.kind == PhotoKind.AFTER],
        "stages": stages,
        "form_errors": form_errors,
        "conflict": conflict,
        "escalations": issue.escalations.order_by("level"),
    }
    return TemplateResponse(request, "workflows/issue_detail.html", context, status=status)


def _stage_index(value):
    return Stage.values.index(value)


def _store_after_photos(request, issue, files):
    from snippets.images import sanitise_image
    from snippets.models import Photo
    from snippets.services import store_photos

    clean = [sanitise_image(upload) for upload in files]
    with transaction.atomic():
        photos = store_photos(clean, request.user, issue=issue)
        Photo.objects.filter(pk__in=[p.pk for p in photos]).update(kind=PhotoKind.AFTER)


@require_POST
def issue_move(request, pk, name):
    if name not in MOVE_NAMES:
        raise Http404
    try:
        issue = _issue_or_404(request, pk)
        form = MoveForm(request.POST, request.FILES, issue=issue)
        if not form.is_valid():
            return issue_detail(request, pk, form_errors=form.errors, status=400)
        data = form.cleaned_data
        files = request.FILES.getlist("after_photos")
        if files and name == "submit":
            services.permitted_move(request.user, issue, name)
            _store_after_photos(request, issue, files)
        result = services.transition(
            issue.pk,
            name,
            request.user,
            expected_version=data["expected_version"],
            note=data["note"],
            evidence=data["evidence"],
            request_key=data["request_key"] or None,
            responsible_person=data["responsible_person"],
            deadline=data["deadline"],
        )
    except OperationalError:
        return busy_response(request)
    except services.TransitionNotPermitted as exc:
        # Answered here: Wagtail's admin would turn a raised PermissionDenied into a redirect.
        return _refused(request, exc.message)
    except services.TransitionConflict as exc:
        return issue_detail(request, pk, conflict=exc.message, status=409)
    except services.TransitionRequirementMissing as exc:
        return issue_detail(request, pk, form_errors={"__all__": [exc.message]}, status=400)
    except ValidationError as exc:
        return issue_detail(request, pk, form_errors={"after_photos": exc.messages}, status=400)
    if result.created:
        messages.success(
            request, _("已%(move)s：%(issue)s") % {"move": services._label(name), "issue": issue}
        )
    else:
        messages.info(request, _("该操作已处理过，未重复执行。"))
    return redirect("workflows_admin:issue", pk=pk)


def issue_list(request):
    base = issues_for(request.user).select_related("category", "institution", "responsible_person")
    filterset, queryset = filtered_issues(request.GET, base, request=request)
    page = Paginator(queryset.order_by("deadline", "pk"), 50).get_page(request.GET.get("p"))
    query = request.GET.copy()
    query.pop("p", None)
    return TemplateResponse(
        request,
        "workflows/issue_list.html",
        {
            "filterset": filterset,
            "page": page,
            "today": timezone.localdate(),
            "query": query.urlencode(),
            "export_url": reverse("workflows_admin:ledger_export")
            + ("?" + query.urlencode() if query else ""),
        },
    )


def ledger_export(request):
    from workflows.ledger import LEDGER_CONTENT_TYPE, ledger_filename, write_ledger

    base = issues_for(request.user)
    filterset, queryset = filtered_issues(request.GET, base, request=request)
    response = HttpResponse(content_type=LEDGER_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{ledger_filename()}"'
    write_ledger(queryset, response)
    return response


def closure_queue(request):
    """Leadership's queue of closure requests, with approve / return in bulk."""
    if not services.actor_roles(request.user) & {"leadership", "inspector"}:
        return _refused(request, _("只有领导和督查员可以审批销号。"))
    issues = [
        issue
        for issue in issues_for(request.user)
        .filter(stage=Stage.SUBMITTED)
        .select_related("category", "institution", "responsible_person")
        .order_by("deadline", "pk")
        if any(move.name == "close" for move in services.allowed_moves(request.user, issue))
    ]
    if request.method == "POST":
        form = BulkDecisionForm(request.POST)
        ids = {int(value) for value in request.POST.getlist("issue") if value.isdigit()}
        if form.is_valid() and ids:
            return _bulk_decide(request, form.cleaned_data, ids)
        messages.error(request, _("请选择问题和操作。"))
    return TemplateResponse(
        request,
        "workflows/closure_queue.html",
        {"issues": issues, "form": BulkDecisionForm(initial={"bulk_key": uuid.uuid4().hex})},
    )


def _bulk_decide(request, data, ids):
    action, reason = data["action"], data["reason"]
    bulk_key = data["bulk_key"] or uuid.uuid4().hex
    done, refused = 0, []
    for issue_id in sorted(ids):
        try:
            result = services.transition(
                issue_id, action, request.user, note=reason, request_key=f"bulk:{bulk_key}:{issue_id}"
            )
            done += result.created
        except services.TransitionError as exc:
            refused.append(f"#{issue_id}: {exc.message}")
        except OperationalError:
            return busy_response(request)
    if done:
        messages.success(request, _("已处理 %(n)d 项。") % {"n": done})
    for line in refused:
        messages.warning(request, line)
    return redirect("workflows_admin:queue")


def notification_list(request):
    queryset = notices.for_user(request.user).select_related("issue")
    page = Paginator(queryset, 50).get_page(request.GET.get("p"))
    return TemplateResponse(
        request,
        "workflows/notification_list.html",
        {"page": page, "unread": notices.unread_count(request.user)},
    )


@require_POST
def notification_read(request):
    ids = [int(v) for v in request.POST.getlist("notification") if v.isdigit()]
    notices.mark_read(request.user, ids or None)
    return redirect("workflows_admin:notifications")


def calendar_status(request):
    from workflows.calendar import year_status

    today = timezone.localdate()
    years = [year_status(year) for year in range(today.year - 1, today.year + 2)]
    return TemplateResponse(request, "workflows/calendar_status.html", {"years": years})
