"""Thin admin views of the daily brief, mounted at /admin/brief/ by `workflows.brief.hooks`.

- `build_now` (POST, leadership and administrators): queues today's bureau-wide build on commit;
- `brief_day`: the kept bureau-wide brief of a day (the stable link of the notification), for
  leadership and administrators only;
- `my_brief`: the brief of the user's own dashboard scope, built on request and not kept: a
  responsible unit gets the same brief limited to its institutions.
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from workflows.brief import builder, service
from workflows.brief.figures import scope_for
from workflows.models import DailyBrief


def _day(raw):
    try:
        return dt.date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise Http404 from None


@require_POST
def build_now(request):
    from workflows.services import queue_on_commit

    if not service.may_read(request.user):
        raise PermissionDenied
    day = timezone.localdate()
    queue_on_commit("workflows.brief.tasks.build_brief", day.isoformat())
    messages.success(
        request, _("正在生成 %(day)s 的会商简报，完成后将通知领导。") % {"day": f"{day:%Y-%m-%d}"}
    )
    return redirect("workflows_dashboard:index")


@require_GET
def brief_day(request, day):
    if not service.may_read(request.user):
        raise PermissionDenied
    brief = DailyBrief.objects.select_related("document").filter(day=_day(day)).first()
    if brief is None or brief.document is None:
        raise Http404
    document = brief.document
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=builder.filename(brief.day),
        content_type=builder.DOCX_CONTENT_TYPE,
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def my_brief(request):
    raw = request.GET.get("day")
    day = _day(raw) if raw else timezone.localdate()
    scope = scope_for(request.user, day)
    if scope is None:
        raise PermissionDenied
    name, data = service.build_scoped(scope)
    response = HttpResponse(data, content_type=builder.DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response
