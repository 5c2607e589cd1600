"""Admin URLs of the dashboard, mounted at /admin/dashboard/ by `.wagtail_hooks`."""

from django.urls import path

from workflows.dashboard import views

app_name = "workflows_dashboard"

urlpatterns = [
    path("", views.dashboard, name="index"),
    path("export/all.xlsx", views.export_all, name="export_all"),
    path("export/<slug:name>.xlsx", views.export, name="export"),
    path("decide/<int:pk>/<slug:name>/", views.decide, name="decide"),
    path("allocate/<int:pk>/", views.allocate, name="allocate"),
]
