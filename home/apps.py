from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("公开网站")

    def ready(self):
        post_migrate.connect(_ensure_workflow_after_migrate, sender=self, dispatch_uid="home.workflow")


def _ensure_workflow_after_migrate(sender, **kwargs):
    # Reference data that must also survive a test-database flush, hence post_migrate rather than a
    # data migration. Idempotent.
    from home.services import ensure_moderation_workflow

    ensure_moderation_workflow()
