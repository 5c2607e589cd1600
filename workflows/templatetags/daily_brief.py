"""`{% daily_brief_panel %}`: the brief's buttons on the leadership dashboard (who sees which one is
decided by `workflows.brief.service.may_read` and the dashboard scope; the views check again)."""

from django import template
from django.utils import timezone

from workflows.brief import service
from workflows.brief.figures import scope_for
from workflows.models import DailyBrief

register = template.Library()


@register.inclusion_tag("workflows/brief/dashboard_panel.html", takes_context=True)
def daily_brief_panel(context):
    request = context["request"]
    today = timezone.localdate()
    leadership = service.may_read(request.user)
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "today": today,
        "may_build": leadership,
        "may_download_own": scope_for(request.user, today) is not None,
        "latest": DailyBrief.objects.filter(document__isnull=False).first() if leadership else None,
    }
