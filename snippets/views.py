"""Thin views: the permission-checked photo view and the inspector's phone-sized visit pages."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from snippets import importers, permissions, services
from snippets.choices import VisitState
from snippets.forms import ChecklistForm
from snippets.models import InspectionRound


def _private_file_response(field_file, content_type, disposition, filename):
    """Stream a file of the private store with headers that stop the browser from sniffing or
    running it. The caller has already checked permission."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(disposition == "attachment", filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@require_GET
def photo(request, pk):
    """Inspection photos are served only here: never by a public URL (RELIABILITY item 30).
    Anyone who may not see the photo gets a 404, so its existence is not revealed."""
    photo = get_object_or_404(permissions.photos_for(request.user), pk=pk)
    extension = photo.file.name.rsplit(".", 1)[-1]
    return _private_file_response(photo.file, photo.content_type, "inline", f"photo-{photo.pk}.{extension}")


@require_GET
def attachment(request, pk):
    """Issue attachments: always a download (never rendered in the browser), same 404 rule."""
    attachment = get_object_or_404(permissions.attachments_for(request.user), pk=pk)
    return _private_file_response(
        attachment.file, attachment.content_type, "attachment", attachment.original_name
    )


def visit_list(request):
    """The inspector's start page on a phone: planned visits first, then recent ones."""
    if not request.user.has_perm("snippets.view_visit"):
        raise PermissionDenied
    visits = (
        permissions.visits_for(request.user)
        .select_related("institution", "inspection_round")
        .order_by("state", "planned_on", "pk")
    )
    mine = request.GET.get("mine") == "1"
    if mine:
        visits = visits.filter(inspectors=request.user)
    return TemplateResponse(
        request,
        "snippets/visit_list.html",
        {"visits": visits[:200], "mine": mine, "can_record": _can_record(request.user)},
    )


def _can_record(user):
    return user.has_perm("snippets.change_visit") and permissions.sees_everything(user)


def visit_checklist(request, pk):
    visit = get_object_or_404(
        permissions.visits_for(request.user).select_related("institution", "inspection_round"), pk=pk
    )
    if not request.user.has_perm("snippets.view_visit"):
        raise PermissionDenied
    editable = visit.state == VisitState.PLANNED and _can_record(request.user)
    answers = services.ensure_answers(visit) if editable else list(visit.answers.select_related("item"))
    if request.method == "POST":
        if not editable:
            raise PermissionDenied
        form = ChecklistForm(answers, request.POST, request.FILES)
        if form.is_valid():
            try:
                services.record_answers(visit, form.entries(), request.user)
            except services.PhotoStorageError:
                form.add_error(None, _("照片保存失败（存储空间不足或不可写），本次填写未保存，请稍后重试。"))
            except services.VisitError as exc:
                form.add_error(None, str(exc))
            else:
                if "complete" in request.POST:
                    try:
                        raised = services.complete_visit(visit, request.user)
                    except services.VisitError as exc:
                        form.add_error(None, str(exc))
                    else:
                        messages.success(request, _("检查已完成，生成问题 %(n)d 个。") % {"n": len(raised)})
                        return redirect("snippets_visit_checklist", pk=visit.pk)
                else:
                    messages.success(request, _("检查表已保存。"))
                    return redirect("snippets_visit_checklist", pk=visit.pk)
    else:
        form = ChecklistForm(answers)
    return TemplateResponse(
        request,
        "snippets/visit_checklist.html",
        {
            "visit": visit,
            "form": form,
            "editable": editable,
            "answers": answers,
            "issues": permissions.issues_for(request.user).filter(visit=visit).select_related("category"),
        },
    )


def round_draw(request, pk):
    """The random draw (双随机) of a round: parameters, commitment, and after the round the seed
    with a re-run check. Drawing is a POST by someone who may change rounds."""
    inspection_round = get_object_or_404(permissions.rounds_for(request.user), pk=pk)
    if not permissions.sees_everything(request.user):
        raise PermissionDenied
    can_draw = request.user.has_perm("snippets.change_inspectionround") and not inspection_round.is_sealed
    if request.method == "POST":
        if not can_draw:
            raise PermissionDenied
        try:
            services.draw_round(inspection_round, request.user)
        except services.DrawError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("已抽取并封存，承诺值已记录。"))
        return redirect("snippets_round_draw", pk=inspection_round.pk)
    verified = None
    if inspection_round.seed_revealed:
        verified = services.verify_draw(inspection_round)
    visits = inspection_round.visits.select_related("institution").prefetch_related("inspectors")
    return TemplateResponse(
        request,
        "snippets/round_draw.html",
        {"round": inspection_round, "can_draw": can_draw, "verified": verified, "visits": visits},
    )


MAX_IMPORT_BYTES = 10 * 1024 * 1024


def import_issues_view(request):
    """Admin upload of the issue spreadsheet: same all-or-nothing rules as the command."""
    if not request.user.has_perm("snippets.add_issue"):
        raise PermissionDenied
    result = None
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("请选择要上传的 Excel 文件。")
        elif upload.size > MAX_IMPORT_BYTES:
            error = _("文件过大（上限 10 MB）。")
        else:
            result = importers.import_issues(upload, request.user, dry_run=bool(request.POST.get("dry_run")))
            if result.ok and not result.dry_run:
                messages.success(request, _("已导入 %(n)d 个问题。") % {"n": len(result.created)})
                return redirect("wagtailsnippets_snippets_issue:list")
    return TemplateResponse(request, "snippets/import_issues.html", {"result": result, "error": error})


def issues_template_view(request):
    if not request.user.has_perm("snippets.add_issue"):
        raise PermissionDenied
    response = HttpResponse(content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = 'attachment; filename="issues_template.xlsx"'
    importers.write_template(response)
    return response


@require_GET
def draw_record(request, pk):
    """Public record of a sealed draw: the commitment alone as soon as it is sealed, and the round's
    name, mode, dates, seed and result once the round has ended, so anyone can recompute both (see
    services.commitment_of). Before the end nothing dated is published, for any mode: a date (or
    its absence for one mode) would tell an institution that an unannounced round is coming."""
    inspection_round = get_object_or_404(InspectionRound, pk=pk, sealed_at__isnull=False)
    data = {
        "round": inspection_round.pk,
        "commitment": inspection_round.draw_commitment,
        "algorithm": "sha256(json.dumps({'result': result, 'seed': seed}, sort_keys=True, "
        "separators=(',', ':')).encode('utf-8'))",
    }
    if inspection_round.seed_revealed:
        data.update(
            name=inspection_round.name,
            mode=inspection_round.mode,
            starts_on=inspection_round.starts_on.isoformat(),
            ends_on=inspection_round.ends_on.isoformat(),
            sealed_at=inspection_round.sealed_at.isoformat(),
            seed=inspection_round.draw_seed,
            result=inspection_round.draw_result,
        )
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response
