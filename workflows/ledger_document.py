"""The nightly 整改台账: the latest full ledger kept as one Wagtail document that leaders download.

The document lives in a collection restricted to the leadership, inspector and administrator
groups (Wagtail collection privacy covers documents), because it names responsible persons.
"""

import io

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from wagtail.documents import get_document_model

from snippets.models import Issue
from workflows import roles
from workflows.ledger import ledger_filename, write_ledger
from workflows.models import WorkflowSettings
from workflows.private_collections import private_collection

COLLECTION_NAME = "整改台账（内部）"
DOCUMENT_TITLE = "整改台账（最新）"
READER_ROLES = (roles.LEADERSHIP, roles.INSPECTOR, roles.ADMINISTRATOR)


def ledger_collection():
    return private_collection(COLLECTION_NAME, READER_ROLES)


@transaction.atomic
def refresh_latest_ledger(today=None):
    """Write the whole ledger and store it as the latest document (replacing the file)."""
    today = today or timezone.localdate()
    buffer = io.BytesIO()
    rows = write_ledger(Issue.objects.all(), buffer, today=today)
    Document = get_document_model()
    config = WorkflowSettings.load()
    document = config.latest_ledger or Document(title=DOCUMENT_TITLE, collection=ledger_collection())
    old_name = document.file.name if document.pk else None
    document.file.save(ledger_filename(today), ContentFile(buffer.getvalue()), save=False)
    document.file_size = len(buffer.getvalue())
    document.save()
    if old_name and old_name != document.file.name:
        document.file.storage.delete(old_name)
    WorkflowSettings.objects.filter(pk=config.pk).update(
        latest_ledger=document, latest_ledger_at=timezone.now()
    )
    return {"document": document.pk, "rows": rows}
