"""Wagtail API v2 router. Apps add their endpoints here; page fields are declared on the models."""

from wagtail.api.v2.router import WagtailAPIRouter
from wagtail.api.v2.views import PagesAPIViewSet
from wagtail.documents.api.v2.views import DocumentsAPIViewSet
from wagtail.images.api.v2.views import ImagesAPIViewSet

from snippets.api import IssuesAPIViewSet

api_router = WagtailAPIRouter("wagtailapi")
api_router.register_endpoint("pages", PagesAPIViewSet)
api_router.register_endpoint("images", ImagesAPIViewSet)
api_router.register_endpoint("documents", DocumentsAPIViewSet)
# Scoped per user by snippets.permissions.issues_for (anonymous callers get an empty list).
api_router.register_endpoint("issues", IssuesAPIViewSet)
