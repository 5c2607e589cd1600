"""Public-side URLs of this app, included by cms/urls.py before Wagtail's page catch-all.

Admin pages (visit checklist) are registered in wagtail_hooks.py under /admin/.
"""

from django.urls import path

from snippets import views

app_name = "snippets"

urlpatterns = [
    path("inspection-photos/<int:pk>/", views.photo, name="photo"),
    path("inspection-attachments/<int:pk>/", views.attachment, name="attachment"),
    path("inspection-draws/<int:pk>.json", views.draw_record, name="draw_record"),
]
