"""django-q2 tasks of the ledger: plain functions taking ids; the rules are in services."""

import contextvars

from django_q.signals import pre_execute

from django.dispatch import receiver

from home.ledger import services

# The task the worker is about to run; django-q2 passes task ids only to signals, not to the function.
_current_task = contextvars.ContextVar("ledger_current_task", default=None)


@receiver(pre_execute, dispatch_uid="ledger.remember_current_task")
def remember_current_task(sender, func=None, task=None, **kwargs):
    task = task or {}
    _current_task.set({"id": task.get("id"), "name": task.get("name"), "group": task.get("group")})


def import_batch(batch_id):
    """Import one stored upload; re-delivery after a killed worker re-runs it from the start.

    The import writes in one transaction, so a killed run leaves nothing behind; rows carry the
    (batch, sheet, row number) idempotency key under a unique constraint.
    """
    batch = services.run_batch(batch_id)
    return {"batch": batch.pk, "status": batch.status}


def draft_previous_day():
    return services.scheduled_draft(task=_current_task.get())


def requeue_stuck_imports():
    from workflows.automation import sweep_lock

    with sweep_lock("ledger_requeue_imports") as acquired:
        return {"requeued": services.requeue_stuck_imports()} if acquired else {"status": "busy"}
