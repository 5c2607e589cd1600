from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = _("整改流程")

    def ready(self):
        from workflows import roles
        from workflows.brief import permissions as brief_permissions
        from workflows.dashboard import signals  # noqa: F401 - cache invalidation and refresh

        # Before any view asks for the document policy (a fallback would be created otherwise).
        brief_permissions.register()

        # Permissions exist only after post_migrate, so the role table is applied then, not in the
        # data migration that creates the groups (the receiver waits for the last app).
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="workflows.roles.sync")
        post_migrate.connect(
            _ensure_schedules_after_migrate, sender=self, dispatch_uid="workflows.scheduling.ensure"
        )
        from django.db.models.signals import post_save

        # A newly reported issue is auto-assigned by a task queued after its transaction commits.
        post_save.connect(_queue_auto_assign, sender="snippets.Issue", dispatch_uid="workflows.auto_assign")


def _ensure_schedules_after_migrate(sender, **kwargs):
    from workflows.scheduling import ensure_schedules

    ensure_schedules()


def _queue_auto_assign(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        from workflows.services import queue_on_commit

        queue_on_commit("workflows.tasks.auto_assign", instance.pk)
