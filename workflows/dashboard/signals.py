"""Saves and deletes of the data behind the dashboard make its cache stale after commit, and queue
one background refresh of the shared figures (`workflows.dashboard.tasks.refresh_dashboard`).

Connected on import (by `.wagtail_hooks`, and by any task module that imports it). Bulk
`QuerySet.update()` sends no signal: the stage service still logs a StageTransition (a save), and
the cache TTL bounds anything else.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from workflows.dashboard import cache

WATCHED = (
    "snippets.Issue",
    "snippets.Visit",
    "snippets.ChecklistAnswer",
    "workflows.StageTransition",
    "workflows.Escalation",
    "ledger.LedgerEntry",
)


def _changed(sender, **kwargs):
    transaction.on_commit(_after_commit)


def _after_commit():
    cache.invalidate()
    from workflows.dashboard.tasks import queue_refresh

    queue_refresh()


def connect():
    from django.apps import apps

    for label in WATCHED:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboard-{label}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"dashboard-{label}-delete")


connect()
