"""Keeping the dashboard's cached and materialised figures fresh.

- A save or delete of the data behind the figures makes every cached and materialised figure stale
  once the transaction commits (the change counter of `.snapshots`: one UPDATE, no task).
- When a task that changes the figures finishes in the cluster (django-q2's post_execute, sent by
  the monitor process), the shared figures are recomputed there if they are stale
  (`tasks.refresh_if_due`), so a leader opening the dashboard after an overdue sweep, a ledger
  import or a stage move (its notification task) reads the materialised figures.

Connected on import: by `.wagtail_hooks` in web processes; the cluster needs
`from workflows.dashboard import signals` in `WorkflowsConfig.ready()` (integrator). Without it the
data stamp in the cache key still shows new rows at once; only the warm-up is lost.
"""

import logging

from django_q.signals import post_execute

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from workflows.dashboard import cache

logger = logging.getLogger(__name__)

WATCHED = (
    "snippets.Institution",
    "snippets.IssueCategory",
    "snippets.InspectionRound",
    "snippets.Issue",
    "snippets.Visit",
    "snippets.ChecklistAnswer",
    "workflows.StageTransition",
    "workflows.Escalation",
    "ledger.LedgerEntry",
)

# Tasks after which the figures have (or may have) changed.
REFRESHING_TASKS = (
    "workflows.tasks.auto_assign",
    "workflows.tasks.notify_transition",
    "workflows.tasks.escalate_overdue",
    "workflows.tasks.reconcile",
    "home.ledger.tasks.import_batch",
)


def _changed(sender, **kwargs):
    # robust: the data is committed; a failed bump is logged (new rows still show through the id stamp).
    transaction.on_commit(cache.invalidate, robust=True)


def _task_name(func):
    if isinstance(func, str):
        return func
    return f"{getattr(func, '__module__', '')}.{getattr(func, '__name__', '')}"


def task_finished(sender, task, **kwargs):
    if not task.get("success") or _task_name(task.get("func")) not in REFRESHING_TASKS:
        return
    from workflows.dashboard.tasks import refresh_if_due

    try:
        refresh_if_due()
    except Exception:
        # A failed warm-up must never disturb the cluster: the page computes the figures itself.
        logger.exception("Dashboard refresh after %s failed", _task_name(task.get("func")))


def connect():
    from django.apps import apps

    for label in WATCHED:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        post_save.connect(_changed, sender=model, dispatch_uid=f"dashboard-{label}-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=f"dashboard-{label}-delete")
    post_execute.connect(task_finished, dispatch_uid="dashboard-task-finished")


connect()
