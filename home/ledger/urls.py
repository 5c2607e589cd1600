"""Public open-data URLs of the ledger, included by cms/urls.py before Wagtail's page catch-all."""

from django.urls import path, register_converter

from home.ledger import views


class DateConverter:
    regex = r"\d{4}-\d{2}-\d{2}"

    def to_python(self, value):
        import datetime as dt

        return dt.date.fromisoformat(value)

    def to_url(self, value):
        return value.isoformat()


register_converter(DateConverter, "isodate")

urlpatterns = [
    path("api/disclosures/", views.api_days, name="ledger_api_days"),
    path("api/disclosures/<isodate:day>.<str:fmt>", views.api_day, name="ledger_api_day"),
    path("api/receipts/<str:number>/", views.api_receipt, name="ledger_api_receipt"),
]
