"""/inspect/: the inspector's offline page. Included by cms/urls.py."""

from django.urls import path

from snippets.offline import views

app_name = "snippets_inspect"

urlpatterns = [
    path("", views.app, name="app"),
    path("data.json", views.data, name="data"),
    path("sync/", views.sync, name="sync"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
]
