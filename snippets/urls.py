"""Public and admin-side URLs of this app, included by cms/urls.py before Wagtail's page catch-all."""

urlpatterns = []
