"""django-q2 tasks of the ledger: plain functions taking ids; the rules are in services."""

from home.ledger import services


def import_batch(batch_id):
    """Import one stored upload; re-delivery after a killed worker re-runs it from the start.

    The import writes in one transaction, so a killed run leaves nothing behind; rows carry the
    (batch, sheet, row number) idempotency key under a unique constraint.
    """
    batch = services.run_batch(batch_id)
    return {"batch": batch.pk, "status": batch.status}


def draft_previous_day():
    return services.scheduled_draft()
