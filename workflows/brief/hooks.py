"""Admin wiring of the daily brief: its URLs and the guard on Wagtail's document serve view.

Imported by `workflows/wagtail_hooks.py` (Wagtail loads hooks only from an app's top-level module).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import include, path

from wagtail import hooks

from workflows.brief import service, urls


@hooks.register("register_admin_urls")
def register_brief_urls():
    return [path("brief/", include(urls, namespace="workflows_brief"))]


# Before Wagtail's own check, which redirects everyone it refuses to the login page: anonymous
# visitors get a 404 (the brief's existence is not advertised), signed-in users outside leadership
# and the administrators a 403.
@hooks.register("before_serve_document", order=-10)
def guard_brief_documents(document, request):
    if document.collection.name != service.COLLECTION_NAME:
        return None
    if not request.user.is_authenticated:
        raise Http404
    if not service.may_read(request.user):
        raise PermissionDenied
    return None
