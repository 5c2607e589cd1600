"""Admin URLs, mounted at /admin/rectification/ by `workflows.wagtail_hooks`."""

from django.urls import path

from workflows import views

app_name = "workflows_admin"

urlpatterns = [
    path("", views.issue_list, name="list"),
    path("issue/<int:pk>/", views.issue_detail, name="issue"),
    path("issue/<int:pk>/move/<str:name>/", views.issue_move, name="move"),
    path("queue/", views.closure_queue, name="queue"),
    path("ledger.xlsx", views.ledger_export, name="ledger_export"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notification_read, name="notifications_read"),
    path("calendar/", views.calendar_status, name="calendar"),
]
