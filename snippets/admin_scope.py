"""Wagtail's generic admin surfaces narrowed to the user's scope (issue #18).

The scope itself is `snippets.permissions.records_for` / `log_entries_for`; this module only hangs it
on Wagtail's hooks: every registered bulk action (through `register_bulk_action` subclasses, wired in
`snippets/wagtail_hooks.py`) and the site history report (its own view, routed ahead of Wagtail's in
`cms/urls.py`, since Wagtail offers no hook for a report's queryset). A record outside the scope is
treated as one that does not exist: it is never listed, and naming only such records is a 404.
"""

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.shortcuts import get_list_or_404
from django.urls import path

from wagtail.admin.auth import require_admin_access
from wagtail.admin.views.pages import bulk_actions as page_bulk_actions
from wagtail.admin.views.reports.audit_logging import LogEntriesView, SiteHistoryReportFilterSet
from wagtail.documents.views import bulk_actions as document_bulk_actions
from wagtail.images.views import bulk_actions as image_bulk_actions
from wagtail.log_actions import registry as log_action_registry
from wagtail.snippets.bulk_actions.delete import DeleteBulkAction as SnippetDeleteBulkAction
from wagtail.users.views import bulk_actions as user_bulk_actions

from snippets import permissions


class ScopedBulkActionMixin:
    """Bulk-action confirmation pages and POSTs see only the records the user may know of, for
    `?id=all` and explicit ids alike; out-of-scope ids are dropped as if they did not exist, and a
    request naming only such ids is a 404 (Wagtail's answer for ids that do not exist)."""

    def visible_records(self, model=None):
        return permissions.records_for(self.request.user, model or self.model)

    def get_queryset(self, model, object_ids):
        # Wagtail's is a classmethod without the request; `BulkAction.get_actionable_objects` calls it
        # as `self.get_queryset(...)`, before any action's own checks, so every action sees only these.
        return get_list_or_404(self.visible_records(model), pk__in=object_ids)

    def get_all_objects_in_listing_query(self, parent_id):
        # `?id=all`: narrowed in the query too, so a large listing is not loaded to be thrown away.
        listed = super().get_all_objects_in_listing_query(parent_id)
        visible = self.visible_records().values("pk")
        if isinstance(listed, QuerySet):
            return listed.filter(pk__in=visible)
        allowed = set(self.visible_records().values_list("pk", flat=True))
        return [pk for pk in listed if pk in allowed]


# Every bulk action Wagtail registers; `tests/security/test_role_matrix.py` checks that each class in
# the registry is scoped, so an action added later (ours or Wagtail's) must be listed here.
WAGTAIL_BULK_ACTIONS = (
    page_bulk_actions.DeleteBulkAction,
    page_bulk_actions.MoveBulkAction,
    page_bulk_actions.PublishBulkAction,
    page_bulk_actions.UnpublishBulkAction,
    SnippetDeleteBulkAction,
    user_bulk_actions.AssignRoleBulkAction,
    user_bulk_actions.DeleteBulkAction,
    user_bulk_actions.SetActiveStateBulkAction,
    image_bulk_actions.AddTagsBulkAction,
    image_bulk_actions.AddToCollectionBulkAction,
    image_bulk_actions.DeleteBulkAction,
    document_bulk_actions.AddTagsBulkAction,
    document_bulk_actions.AddToCollectionBulkAction,
    document_bulk_actions.DeleteBulkAction,
)


def scoped_bulk_action(action_class):
    """A subclass of a Wagtail bulk action (same action type and models) that is scoped."""
    return type(
        f"Scoped{action_class.__name__}",
        (ScopedBulkActionMixin, action_class),
        {
            "__module__": __name__,
            "__doc__": f"{action_class.__module__}.{action_class.__name__}, scoped to the user's records.",
        },
    )


SCOPED_BULK_ACTIONS = tuple(scoped_bulk_action(action_class) for action_class in WAGTAIL_BULK_ACTIONS)


class ScopedSiteHistoryFilterSet(SiteHistoryReportFilterSet):
    """The user filter lists only people who acted on records in scope (a responsible person's name
    carries their institution's)."""

    def get_user_choices(self):
        user = self.request.user
        user_ids = set()
        for log_model in log_action_registry.get_log_entry_models():
            entries = permissions.log_entries_for(user, log_model.objects.viewable_by_user(user))
            user_ids.update(entries.get_user_ids())
        User = get_user_model()
        return User.objects.filter(pk__in=user_ids).order_by(User.USERNAME_FIELD)


class ScopedLogEntriesView(LogEntriesView):
    """Wagtail's site history report (page, results and exports), each log model's entries narrowed
    by `permissions.log_entries_for` before they are combined."""

    filterset_class = ScopedSiteHistoryFilterSet

    def filter_queryset(self, queryset):
        return permissions.log_entries_for(self.request.user, super().filter_queryset(queryset))


# Routed by cms/urls.py ahead of Wagtail's admin URLs, so these paths reach the scoped views; the
# same admin-access check Wagtail puts on its own admin URLs.
urlpatterns = [
    path("reports/site-history/", require_admin_access(ScopedLogEntriesView.as_view())),
    path(
        "reports/site-history/results/",
        require_admin_access(ScopedLogEntriesView.as_view(results_only=True)),
    ),
]
