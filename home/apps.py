from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    name = "home"
    verbose_name = _("公开网站")

    def ready(self):
        post_migrate.connect(_ensure_workflow_after_migrate, sender=self, dispatch_uid="home.workflow")
        from home import page_cache

        page_cache.connect_signals()


def _ensure_workflow_after_migrate(sender, **kwargs):
    # Reference data that must also survive a test-database flush, hence post_migrate rather than a
    # data migration. Idempotent.
    from django.contrib.contenttypes.models import ContentType

    from home.services import ensure_moderation_workflow

    # After a flush the cached content type ids point at deleted rows, and this handler runs before
    # the contenttypes app's own one (which clears the cache) for this app's signal.
    ContentType.objects.clear_cache()
    ensure_moderation_workflow()
