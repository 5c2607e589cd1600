from pathlib import Path

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from cms.api import api_router
from snippets import admin_scope
from workflows import views as workflow_views

# A database error outside a view (session save, a middleware) is a 503 page too.
handler500 = "cms.middleware.server_error"

urlpatterns = [
    path("healthz", workflow_views.healthz, name="healthz"),
    path("django-admin/", admin.site.urls),
    # Wagtail reports narrowed to the user's scope, ahead of Wagtail's own (snippets/admin_scope.py).
    path("admin/", include(admin_scope.urlpatterns)),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("api/v2/", api_router.urls),
    path("", include("workflows.urls")),
    path("inspect/", include("snippets.offline.urls")),
    path("", include("snippets.urls")),
    path("", include("home.ledger.urls")),
    path("", include("home.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    # Wagtail's images only (originals and renditions: public by design). Documents stay behind
    # Wagtail's document view, which refuses private collections (the daily brief); inspection
    # photos live outside MEDIA_ROOT.
    for folder in ("original_images", "images"):
        urlpatterns += static(
            f"{settings.MEDIA_URL}{folder}/", document_root=Path(settings.MEDIA_ROOT) / folder
        )

# Wagtail serves every other path as a page: keep this last.
urlpatterns += [path("", include(wagtail_urls))]
