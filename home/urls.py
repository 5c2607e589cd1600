"""Public and admin-side URLs of this app, included by cms/urls.py before Wagtail's page catch-all."""

from django.urls import path

from home import views

app_name = "home"

urlpatterns = [
    path("check/", views.channel_check, name="channel_check"),
    path("channels/qr/<int:pk>-<str:digest>.png", views.channel_qr, name="channel_qr"),
]
