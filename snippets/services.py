"""Business rules of the inspection records. Views, hooks and commands call these."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from snippets.models import IssueNumberCounter
from snippets.models.issues import ISSUE_NUMBER_PREFIX


def allocate_issue_number(year=None):
    """Next `ZG-<year>-NNNN`. The counter only goes up, so a number is never reused, even if the
    issue that took it is deleted or its transaction rolls back after the counter committed."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        updated = IssueNumberCounter.objects.filter(year=year).update(last_value=F("last_value") + 1)
        if not updated:
            try:
                with transaction.atomic():
                    IssueNumberCounter.objects.create(year=year, last_value=1)
            except IntegrityError:
                # Another writer created the row first: take the next value from it.
                IssueNumberCounter.objects.filter(year=year).update(last_value=F("last_value") + 1)
        value = IssueNumberCounter.objects.get(year=year).last_value
    return f"{ISSUE_NUMBER_PREFIX}-{year}-{value:04d}"
