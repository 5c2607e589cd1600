"""The project's URLs plus the bare baselines the measurements compare against (bench processes only).

- /bench/constant/: a Django view returning a constant string.
- /bench/table/issue/ and /bench/table/ledger/: a minimal Django view rendering 50 rows (?n=, ?offset=,
  ledger: ?day=YYYY-MM-DD) as a bare HTML table through the Django template engine, one query.
- /bench/admin-frame/: Wagtail's admin page with nothing in it (sidebar, slim header, breadcrumbs),
  through Wagtail's public template and admin-access decorator: the floor under every admin listing.
"""

import datetime as dt

from django.http import HttpResponse
from django.template import engines
from django.urls import path
from django.views.generic import TemplateView

from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from cms.urls import urlpatterns as project_urlpatterns

handler500 = "cms.middleware.server_error"

TABLE = engines["django"].from_string(
    "<!doctype html><html><head><title>{{ title }}</title></head><body><table>"
    "<thead><tr>{% for h in headers %}<th>{{ h }}</th>{% endfor %}</tr></thead><tbody>"
    "{% for row in rows %}<tr>{% for cell in row %}<td>{{ cell }}</td>{% endfor %}</tr>{% endfor %}"
    "</tbody></table></body></html>"
)

COLUMNS = {
    "issue": (
        "snippets.Issue",
        ["number", "title", "institution__name", "category__name", "severity", "stage", "deadline"],
        ["-found_on", "-number"],
    ),
    "ledger": (
        "ledger.LedgerEntry",
        ["number", "kind", "entry_date", "amount", "item", "quantity", "unit", "frozen"],
        ["-entry_date", "-number"],
    ),
}


def constant(request):
    return HttpResponse("ok")


def table(request, name):
    from django.apps import apps

    label, columns, ordering = COLUMNS[name]
    queryset = apps.get_model(label).objects.order_by(*ordering)
    if request.GET.get("day"):
        queryset = queryset.filter(entry_date=dt.date.fromisoformat(request.GET["day"]))
    offset = int(request.GET.get("offset", 0))
    count = int(request.GET.get("n", 50))
    rows = list(queryset.values_list(*columns)[offset : offset + count])
    return HttpResponse(TABLE.render({"title": name, "headers": columns, "rows": rows}, request))


class AdminFrame(WagtailAdminTemplateMixin, TemplateView):
    """Wagtail's own page furniture (`wagtailadmin/generic/base.html`) around nothing."""

    page_title = "frame"
    header_icon = "warning"


admin_frame = require_admin_access(AdminFrame.as_view())


urlpatterns = [
    path("bench/constant/", constant),
    path("bench/admin-frame/", admin_frame),
    path("bench/table/<str:name>/", table),
    *project_urlpatterns,
]
