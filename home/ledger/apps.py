from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    """The donation ledger and its daily disclosures: its own app (label `ledger`) inside home/."""

    name = "home.ledger"
    label = "ledger"
    verbose_name = _("捐赠台账")

    def ready(self):
        # Connect the pre_execute receiver that tells ledger tasks their django-q2 task id.
        from home.ledger import tasks  # noqa: F401
