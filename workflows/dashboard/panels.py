"""Admin home panels: the headline figures and the closure requests waiting for this user.

Registered by `.wagtail_hooks` (construct_homepage_panels); the numbers come from the same cached
queries as the dashboard, so a panel costs a cache read on most page views.
"""

from django.urls import reverse

from wagtail.admin.ui.components import Component

from workflows.dashboard import queries
from workflows.dashboard.queries import DashboardScope


class DashboardSummaryPanel(Component):
    name = "workflows_dashboard_summary"
    order = 50
    template_name = "workflows/dashboard/panels/summary.html"

    def __init__(self, scope):
        self.scope = scope

    def get_context_data(self, parent_context):
        from workflows.dashboard.views import figures_for

        data = figures_for(self.scope)
        closures = queries.closure_requests(self.scope, limit=5) if self.scope.shows_closures else None
        return {
            "figures": data["inspections"],
            "donations": data["donations"],
            "closures": closures,
            "dashboard_url": reverse("workflows_dashboard:index"),
            "request_key": parent_context.get("request_key", ""),
        }


def panels_for(request):
    scope = DashboardScope.for_user(request.user)
    if not scope.allowed:
        return []
    return [DashboardSummaryPanel(scope)]
