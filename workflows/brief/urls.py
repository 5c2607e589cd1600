"""Admin URLs of the daily brief, mounted at /admin/brief/ by `workflows.brief.hooks`."""

from django.urls import path

from workflows.brief import views

app_name = "workflows_brief"

urlpatterns = [
    path("build/", views.build_now, name="build"),
    path("mine.docx", views.my_brief, name="mine"),
    path("<str:day>.docx", views.brief_day, name="day"),
]
