"""Admin wiring of the leadership dashboard: URLs, the menu item, home panels and the cache signals.

Imported by `workflows/wagtail_hooks.py` (Wagtail loads hooks only from an app's top-level module).
"""

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from workflows.dashboard import signals, urls
from workflows.dashboard.panels import panels_for
from workflows.dashboard.queries import DashboardScope

# Imported for its side effect: cache invalidation is connected in every process that loads hooks.
WATCHED = signals.WATCHED


@hooks.register("register_admin_urls")
def register_dashboard_urls():
    return [path("dashboard/", include(urls, namespace="workflows_dashboard"))]


class DashboardMenuItem(MenuItem):
    def is_shown(self, request):
        return DashboardScope.for_user(request.user).allowed


@hooks.register("register_admin_menu_item")
def register_dashboard_menu():
    return DashboardMenuItem(
        _("领导看板"), reverse("workflows_dashboard:index"), icon_name="table", order=240
    )


@hooks.register("construct_homepage_panels")
def add_dashboard_panels(request, panels):
    panels[:0] = panels_for(request)
